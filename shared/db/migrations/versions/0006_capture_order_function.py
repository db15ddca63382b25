"""PostgreSQL: ``hub_capture_order``, the order capture's happy path in one round trip.

The function does what ``OrderService`` does in one transaction after its
checks, in the same order and with the same conditions: store the key's
answer, insert the order, its first history entry and its ``order.accepted``
outbox message, then hold the stock (SKUs in sorted order: one lock order) and
the customer's credit. It returns ``ok``, or ``claimed`` when the key is
already in the ledger; a shortage, an exhausted credit or a duplicate business
key raises, which undoes everything. Anything but ``ok`` sends the caller down
the general path, which decides exactly as before (replay, 409, the stored
refusal). SQLite needs no such function: it is in process.

Revision ID: 0006
Revises: 0005
"""

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CREATE = """
CREATE OR REPLACE FUNCTION hub_capture_order(
    p_scope text, p_key text, p_fingerprint text, p_answer text, p_expires_at timestamptz,
    p_order_id text, p_consumer text, p_customer_id text, p_channel text, p_channel_order_ref text,
    p_po_number text, p_business_key text, p_currency text, p_total text,
    p_lines text, p_ship_to text, p_payment text, p_created_at timestamptz,
    p_topic text, p_payload text,
    p_skus text[], p_quantities integer[],
    p_credit_customer text, p_credit_cents bigint, p_credit_limit_cents bigint
) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO idempotency_keys (scope, key, fingerprint, state, status_code, response, resource_id,
                                  created_at, expires_at, locked_until)
    VALUES (p_scope, p_key, p_fingerprint, 'done', 201, p_answer, p_order_id, p_created_at, p_expires_at, NULL)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN 'claimed';
    END IF;
    INSERT INTO orders (order_id, consumer, customer_id, channel, channel_order_ref, po_number, business_key,
                        currency, total, status, erp_order_number, fulfilment_id, lines, ship_to, payment,
                        hold_reason, created_at, updated_at)
    VALUES (p_order_id, p_consumer, p_customer_id, p_channel, p_channel_order_ref, p_po_number, p_business_key,
            p_currency, p_total, 'accepted', NULL, NULL, p_lines::json, p_ship_to::json, p_payment::json,
            NULL, p_created_at, p_created_at);
    INSERT INTO order_history (order_id, status, at, detail) VALUES (p_order_id, 'accepted', p_created_at, NULL);
    INSERT INTO outbox (topic, key, payload, attempts, available_at, created_at)
    VALUES (p_topic, p_order_id, p_payload, 0, p_created_at, p_created_at);
    FOR i IN 1 .. coalesce(array_length(p_skus, 1), 0) LOOP
        UPDATE stock_reservations r SET reserved = r.reserved + p_quantities[i]
         WHERE r.sku = p_skus[i]
           AND r.reserved + p_quantities[i] <= (SELECT coalesce(sum(l.available), 0)
                                                  FROM stock_levels l WHERE l.sku = p_skus[i]);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'not enough % to hold', p_skus[i] USING ERRCODE = 'HUB01';
        END IF;
    END LOOP;
    IF p_credit_customer IS NOT NULL THEN
        INSERT INTO customer_credit (customer_id, open_cents) VALUES (p_credit_customer, 0) ON CONFLICT DO NOTHING;
        UPDATE customer_credit SET open_cents = open_cents + p_credit_cents
         WHERE customer_id = p_credit_customer AND open_cents + p_credit_cents <= p_credit_limit_cents;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'credit limit of % reached', p_credit_customer USING ERRCODE = 'HUB02';
        END IF;
    END IF;
    RETURN 'ok';
END
$fn$
"""

DROP = ("DROP FUNCTION IF EXISTS hub_capture_order(text, text, text, text, timestamptz, text, text, text, text, text,"
        " text, text, text, text, text, text, text, timestamptz, text, text, text[], integer[], text, bigint, bigint)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP)
