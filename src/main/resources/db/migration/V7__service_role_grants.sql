-- The service connects as ${app_role}: data rights on Sluice's tables and nothing else (SPEC.md section 9).
-- Migrations run as the schema owner. Default privileges cover tables later migrations and partitions add.
GRANT USAGE ON SCHEMA bronze, silver, gold TO ${app_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA bronze, silver, gold TO ${app_role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA bronze, silver, gold TO ${app_role};
ALTER DEFAULT PRIVILEGES IN SCHEMA bronze, silver, gold GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app_role};
ALTER DEFAULT PRIVILEGES IN SCHEMA bronze, silver, gold GRANT USAGE, SELECT ON SEQUENCES TO ${app_role};
GRANT SELECT ON TABLE flyway_schema_history TO ${app_role};

-- Partition maintenance needs DDL: the service may run only these two functions, with the owner's rights.
ALTER FUNCTION bronze.ensure_partitions(integer) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION bronze.drop_expired_partitions(interval) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION bronze.ensure_partitions(integer), bronze.drop_expired_partitions(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bronze.ensure_partitions(integer), bronze.drop_expired_partitions(interval) TO ${app_role};
