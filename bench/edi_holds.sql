-- The holds of a 10,000-line order on PostgreSQL, server side only: the loop hub_capture_order ran
-- before migration 0028 (one UPDATE per SKU) against its one statement (ordered FOR UPDATE, then
-- one UPDATE over unnest), each in a transaction rolled back, three times, alternating. Run on the
-- database `bench/edi.py --database-url postgresql+asyncpg://...` left (its BENCH-* SKUs loaded):
--     psql -h 127.0.0.1 -U postgres -d <that database> -f bench/edi_holds.sql
\timing on
CREATE TEMP TABLE bench_holds AS
    SELECT array_agg(sku ORDER BY sku) AS skus, array_agg(1 ORDER BY sku) AS qs
      FROM stock_reservations WHERE sku LIKE 'BENCH-%';
SELECT array_length(skus, 1) AS skus FROM bench_holds;
\set loop 'DO $$ DECLARE s text[]; q integer[]; BEGIN SELECT skus, qs INTO s, q FROM bench_holds; FOR i IN 1 .. array_length(s, 1) LOOP UPDATE stock_reservations r SET reserved = r.reserved + q[i] WHERE r.sku = s[i] AND r.reserved + q[i] <= (SELECT coalesce(sum(l.available), 0) FROM stock_levels l WHERE l.sku = s[i]); IF NOT FOUND THEN RAISE EXCEPTION \'short\'; END IF; END LOOP; END $$;'
\set batch 'DO $$ DECLARE s text[]; q integer[]; n integer; BEGIN SELECT skus, qs INTO s, q FROM bench_holds; PERFORM 1 FROM stock_reservations r WHERE r.sku = ANY(s) ORDER BY r.sku FOR UPDATE; UPDATE stock_reservations r SET reserved = r.reserved + h.q FROM unnest(s, q) AS h(sku, q) WHERE r.sku = h.sku AND r.reserved + h.q <= (SELECT coalesce(sum(l.available), 0) FROM stock_levels l WHERE l.sku = h.sku); GET DIAGNOSTICS n = ROW_COUNT; IF n < array_length(s, 1) THEN RAISE EXCEPTION \'short\'; END IF; END $$;'
\echo loop (before 0028)
BEGIN; :loop ROLLBACK;
\echo one statement (0028)
BEGIN; :batch ROLLBACK;
\echo loop
BEGIN; :loop ROLLBACK;
\echo one statement
BEGIN; :batch ROLLBACK;
\echo loop
BEGIN; :loop ROLLBACK;
\echo one statement
BEGIN; :batch ROLLBACK;
