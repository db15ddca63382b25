"""The hub's token signing keys (private key PEM, public JWK), one active per algorithm.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("private_pem", sa.String, nullable=False),
        sa.Column("public_jwk", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    )
    active = sa.text("retired_at IS NULL")
    op.create_index(
        "uq_signing_keys_active", "signing_keys", ["algorithm"], unique=True,
        sqlite_where=active, postgresql_where=active,
    )


def downgrade() -> None:
    op.drop_table("signing_keys")
