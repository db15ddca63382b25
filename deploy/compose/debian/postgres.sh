#!/bin/sh
# PostgreSQL for the compose file: user and database "hub", password from POSTGRES_PASSWORD.
set -eu
D=/tmp/pgdata
if [ ! -s "$D/PG_VERSION" ]; then
  printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/pw
  initdb -D "$D" -U hub --pwfile=/tmp/pw --auth-host=scram-sha-256 --auth-local=trust >/dev/null
  rm /tmp/pw
  echo "host all all all scram-sha-256" >> "$D/pg_hba.conf"
  pg_ctl -D "$D" -o "-c listen_addresses='' -c unix_socket_directories=/tmp" -w start >/dev/null
  createdb -h /tmp -U hub hub
  pg_ctl -D "$D" -w stop >/dev/null
fi
exec postgres -D "$D" -c listen_addresses='*' -c unix_socket_directories=/tmp
