-- 044_compare_page_direct: an export's page is read by intake with the statement
-- compare_page_sql makes for the export (deploy/db/functions/compare.sql), no longer through the
-- PL/pgSQL function compare_page (rows into a tuplestore, the cells as an array taken apart
-- again): at a million persons that layer cost several times the page's own statement. The
-- function goes; nothing else changes (the same rows, order, cells and audit counts).

DROP FUNCTION IF EXISTS compare_page(text, bigint, bytea, integer);
