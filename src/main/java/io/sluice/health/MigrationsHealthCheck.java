package io.sluice.health;

import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.resource.LoadableResource;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.sluice.config.SluiceConfig;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;

/**
 * Readiness: the database schema is at the latest migration this build carries. The expected version comes from the
 * migration files Quarkus packaged (no database needed); the applied one is read from Flyway's schema history over
 * the reactive client, so the check never blocks the event loop and fails fast while PostgreSQL is away or hung
 * ({@code sluice.database.health-timeout}).
 */
@Readiness
@ApplicationScoped
public class MigrationsHealthCheck implements AsyncHealthCheck {

    static final String NAME = "Database migrations";
    private static final Pattern VERSIONED = Pattern.compile("^V([0-9][0-9._]*)__.+\\.sql$");

    private final Pool pool;
    private final MigrationVersion expected;
    private final String historyTable;
    private final Duration timeout;

    public MigrationsHealthCheck(Pool pool, Flyway flyway, SluiceConfig config) {
        this.pool = pool;
        this.timeout = config.database().healthTimeout();
        this.expected = latest(flyway.getConfiguration().getResourceProvider()
                .getResources(flyway.getConfiguration().getSqlMigrationPrefix(),
                        flyway.getConfiguration().getSqlMigrationSuffixes()));
        String schema = flyway.getConfiguration().getDefaultSchema();
        String table = quote(flyway.getConfiguration().getTable());
        this.historyTable = schema == null ? table : quote(schema) + "." + table;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        // every row: a failed repeatable migration (R__gold_functions.sql, no version) counts as failed too
        return pool.query("SELECT version, success FROM " + historyTable).execute()
                .ifNoItem().after(timeout).failWith(TimeoutException::new)
                .map(rows -> {
                    MigrationVersion applied = null;
                    int failed = 0;
                    for (Row row : rows) {
                        if (!row.getBoolean("success")) {
                            failed++;
                            continue;
                        }
                        if (row.getString("version") == null) {
                            continue;
                        }
                        MigrationVersion version = MigrationVersion.fromVersion(row.getString("version"));
                        applied = newer(applied, version);
                    }
                    boolean up = failed == 0
                            && (expected == null || applied != null && applied.compareTo(expected) >= 0);
                    return HealthCheckResponse.named(NAME).status(up)
                            .withData("expected", describe(expected))
                            .withData("applied", describe(applied))
                            .withData("failed", failed)
                            .build();
                })
                .onFailure().recoverWithItem(e -> HealthCheckResponse.named(NAME).down()
                        .withData("expected", describe(expected))
                        .withData("error", e.getClass().getSimpleName())
                        .build());
    }

    /** The highest version (null for none) among versioned SQL migrations ({@code V6__ops.sql} is 6, {@code V1_1__x.sql} 1.1). */
    static MigrationVersion latest(Collection<LoadableResource> resources) {
        MigrationVersion latest = null;
        for (LoadableResource resource : resources) {
            Optional<MigrationVersion> version = version(resource.getFilename());
            if (version.isPresent()) {
                latest = newer(latest, version.get());
            }
        }
        return latest;
    }

    private static MigrationVersion newer(MigrationVersion current, MigrationVersion candidate) {
        return current == null || candidate.compareTo(current) > 0 ? candidate : current;
    }

    private static String describe(MigrationVersion version) {
        return version == null ? "none" : version.getVersion();
    }

    static Optional<MigrationVersion> version(String filename) {
        Matcher matcher = VERSIONED.matcher(filename);
        return matcher.matches()
                ? Optional.of(MigrationVersion.fromVersion(matcher.group(1).replace('_', '.')))
                : Optional.empty();
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
