package io.sluice.bronze;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.sluice.archive.ArchiveException;
import io.sluice.archive.Manifest;
import io.sluice.archive.PartitionArchiver;
import io.sluice.config.SluiceConfig;
import io.sluice.metrics.SluiceMetrics;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;

/**
 * Keeps bronze bounded (SPEC section 9): creates the daily partitions of bronze.events ahead of time (moving any rows
 * caught by bronze.events_default into theirs), drops the ones past retention, and deletes expired rows of the other
 * tables that would otherwise grow for ever (webhook-ids, rejected events, quarantine, the default partition).
 * <p>
 * Every step is its own short transaction: one partition per transaction, under {@code lock_timeout}
 * ({@code sluice.bronze.maintenance-lock-timeout}), so landing and claiming never queue behind partition DDL for
 * longer than that; a step that times out is counted and retried at the next run. Deletes run in batches of
 * {@code sluice.bronze.retention-batch-size} rows, each committed on its own. Idempotent; safe when several replicas
 * run it (each step takes a transaction-level advisory lock, or skips).
 * <p>
 * With the raw archive on ({@code sluice.archive.target}, SPEC.md section 12), an expired partition is first
 * exported and verified by {@link PartitionArchiver} and then dropped by {@code bronze.drop_archived_partition},
 * which refuses unless the verified archive holds exactly the partition's rows. An export that fails leaves the
 * partition in place, counts {@code sluice.archive.exports{outcome=failed}} and is tried again at the next run.
 */
@ApplicationScoped
public class PartitionMaintenance {

    /** What one run did. */
    public record Report(int created, int dropped, int lockTimeouts, int archiveFailures, long deleted,
            long defaultRows) {
    }

    private record Retention(String table, String column, Duration age) {
    }

    private static final String LOCK_NOT_AVAILABLE = "55P03";

    private final Pool pool;
    private final SluiceConfig.Bronze config;
    private final Duration deliveryRetention;
    private final SluiceMetrics metrics;
    private final PartitionArchiver archiver;

    public PartitionMaintenance(Pool pool, SluiceConfig config, SluiceMetrics metrics, PartitionArchiver archiver) {
        this.pool = pool;
        this.archiver = archiver;
        this.config = config.bronze();
        this.deliveryRetention = config.webhook().deliveryRetention();
        this.metrics = metrics;
    }

    void onStart(@Observes StartupEvent start) {
        maintain().subscribe().with(ignored -> {
        }, e -> Log.warnf("bronze maintenance at start failed, will retry hourly: %s", e.toString()));
    }

    @Scheduled(every = "1h", delayed = "1h", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        return maintain().replaceWithVoid();
    }

    /** One maintenance run: partitions first (each step on its own), then the batched retention deletes. */
    public Uni<Report> maintain() {
        return daysToEnsure().chain(days -> steps(days.stream().map(this::ensure).toList()))
                .chain(created -> expiredPartitions()
                        .chain(names -> steps(names.stream().map(this::archiveAndDrop).toList()))
                        .chain(dropped -> deleteExpired()
                                .chain(deleted -> countDefault()
                                        .map(defaultRows -> report(created, dropped, deleted, defaultRows)))));
    }

    private Report report(int[] created, int[] dropped, long deleted, long defaultRows) {
        Report report = new Report(created[0], dropped[0], created[1] + dropped[1], dropped[2], deleted,
                defaultRows);
        metrics.bronzeDefaultRows(defaultRows);
        if (archiver.enabled()) {
            metrics.archiveFailingPartitions(dropped[2]);
        } else if (dropped[0] > 0) {
            Log.warnf("bronze maintenance dropped %d partitions without an archive (sluice.archive.target=none)",
                    dropped[0]);
        }
        Log.infof("bronze maintenance: %d partitions created, %d dropped, %d steps left for the next run (lock busy), "
                + "%d archive exports failed (partitions kept), %d expired rows deleted, %d rows in events_default "
                + "(retention %s)", report.created(), report.dropped(), report.lockTimeouts(),
                report.archiveFailures(), deleted, defaultRows, config.retention());
        if (defaultRows > 0) {
            Log.warnf("bronze.events_default holds %d rows whose day had no partition", defaultRows);
        }
        return report;
    }

    /** Days from yesterday to partitions-ahead, plus the days of rows caught by the default partition in retention. */
    private Uni<List<LocalDate>> daysToEnsure() {
        return pool.preparedQuery("""
                SELECT DISTINCT (received_at AT TIME ZONE 'UTC')::date AS day FROM bronze.events_default
                WHERE received_at >= now() - $1::bigint * interval '1 second'
                """).execute(Tuple.of(config.retention().toSeconds())).map(rows -> {
            TreeSet<LocalDate> days = new TreeSet<>();
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            for (LocalDate d = today.minusDays(1); !d.isAfter(today.plusDays(config.partitionsAhead())); d = d
                    .plusDays(1)) {
                days.add(d);
            }
            for (Row row : rows) {
                days.add(row.getLocalDate("day"));
            }
            return new ArrayList<>(days);
        });
    }

    private Uni<List<String>> expiredPartitions() {
        return pool.query("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'bronze.events'::regclass AND c.relname ~ '^events_\\d{8}$' ORDER BY c.relname
                """).execute().map(rows -> {
            // candidates only: bronze.drop_expired_partition checks the exact retention itself
            // the function checks again; this check is exact too, so no partition is exported only to be kept
            List<String> names = new ArrayList<>();
            Instant cutoff = Instant.now().minus(config.retention());
            for (Row row : rows) {
                String name = row.getString("relname");
                LocalDate day = LocalDate.parse(name.substring("events_".length()), DateTimeFormatter.BASIC_ISO_DATE);
                if (day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().isBefore(cutoff)) {
                    names.add(name);
                }
            }
            return names;
        });
    }

    private static final int DONE = 1;
    private static final int NOTHING = 0;
    private static final int LOCK_BUSY = -1;
    private static final int ARCHIVE_FAILED = -2;
    private static final String NO_VERIFIED_ARCHIVE = "SL001";

    private Uni<Integer> ensure(LocalDate day) {
        return step("create partition", "SELECT bronze.ensure_partition($1) AS done", Tuple.of(day));
    }

    private Uni<Integer> drop(String partition) {
        return step("drop partition",
                "SELECT bronze.drop_expired_partition($1, $2::bigint * interval '1 second') AS done",
                Tuple.of(partition, config.retention().toSeconds()));
    }

    /** With the archive on: export and verify (on a worker thread), then drop only what the archive holds. */
    private Uni<Integer> archiveAndDrop(String partition) {
        if (!archiver.enabled()) {
            return drop(partition);
        }
        return Uni.createFrom().item(() -> export(partition))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(manifest -> manifest == null
                        ? Uni.createFrom().item(NOTHING)
                        : dropArchived(partition, manifest))
                .onFailure(ArchiveFailed.class).recoverWithItem(e -> archiveFailed(partition, e.getCause()));
    }

    private Manifest export(String partition) {
        try {
            Manifest manifest = archiver.archive(partition).orElse(null);
            if (manifest != null) {
                metrics.archiveExport("verified");
            }
            return manifest;
        } catch (ArchiveException e) {
            throw new ArchiveFailed(e);
        }
    }

    private Uni<Integer> dropArchived(String partition, Manifest manifest) {
        return step("drop partition",
                "SELECT bronze.drop_archived_partition($1, $2::bigint * interval '1 second', $3) AS done",
                Tuple.of(partition, config.retention().toSeconds(), manifest.rows()))
                .onFailure(e -> e instanceof PgException pg && NO_VERIFIED_ARCHIVE.equals(pg.getSqlState()))
                .recoverWithItem(e -> archiveFailed(partition, e));
    }

    private int archiveFailed(String partition, Throwable cause) {
        metrics.archiveExport("failed");
        Log.warnf("bronze maintenance: bronze.%s is kept, its archive failed (retried at the next run): %s",
                partition, cause.getMessage());
        return ARCHIVE_FAILED;
    }

    /** An export that failed, carried through the Uni so that only it is recovered as an archive failure. */
    private static final class ArchiveFailed extends RuntimeException {

        ArchiveFailed(ArchiveException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /**
     * One DDL step in its own transaction under {@code lock_timeout}: DONE when it changed something; a lock
     * timeout is counted and leaves the step for the next run (LOCK_BUSY), any other failure fails the run.
     */
    private Uni<Integer> step(String name, String sql, Tuple arguments) {
        return pool.withTransaction(connection -> connection
                .preparedQuery("SELECT set_config('lock_timeout', $1, true), "
                        + "pg_try_advisory_xact_lock(hashtext('sluice.bronze.partitions')) AS locked")
                .execute(Tuple.of(config.maintenanceLockTimeout().toMillis() + "ms"))
                .chain(rows -> rows.iterator().next().getBoolean("locked")
                        ? connection.preparedQuery(sql).execute(arguments)
                                .map(done -> done.iterator().next().getBoolean("done") ? DONE : NOTHING)
                        : Uni.createFrom().item(NOTHING)))
                .onFailure(e -> e instanceof PgException pg && LOCK_NOT_AVAILABLE.equals(pg.getSqlState()))
                .recoverWithItem(e -> {
                    metrics.maintenanceLockTimeout(name);
                    Log.warnf("bronze maintenance: %s gave up after lock_timeout %s (bronze.events busy), "
                            + "retried at the next run", name, config.maintenanceLockTimeout());
                    return LOCK_BUSY;
                });
    }

    /** Runs the steps one after the other: {done, lock timeouts, archive failures}. */
    private Uni<int[]> steps(List<Uni<Integer>> steps) {
        int[] counts = new int[3];
        return Multi.createFrom().iterable(steps).onItem().transformToUniAndConcatenate(step -> step)
                .onItem().invoke(outcome -> {
                    if (outcome == LOCK_BUSY) {
                        counts[1]++;
                    } else if (outcome == ARCHIVE_FAILED) {
                        counts[2]++;
                    } else if (outcome == DONE) {
                        counts[0]++;
                    }
                })
                .collect().last().replaceWith(counts);
    }

    private Uni<Long> deleteExpired() {
        List<Retention> tables = List.of(
                new Retention("bronze.webhook_deliveries", "received_at", deliveryRetention),
                // raw payloads of invalid events hold personal data: kept no longer than bronze itself
                new Retention("bronze.rejected_events", "received_at", config.retention()),
                new Retention("bronze.quarantine", "quarantined_at", config.quarantineRetention()),
                new Retention("bronze.events_default", "received_at", config.retention()));
        return Multi.createFrom().iterable(tables).onItem().transformToUniAndConcatenate(this::deleteBatches)
                .collect().with(Collectors.summingLong(Long::longValue));
    }

    /** Deletes one table's expired rows in LIMIT-ed batches, each its own statement (autocommit), until none is left. */
    private Uni<Long> deleteBatches(Retention retention) {
        String sql = "DELETE FROM " + retention.table() + " WHERE ctid = ANY(ARRAY(SELECT ctid FROM "
                + retention.table() + " WHERE " + retention.column() + " < now() - $1::bigint * interval '1 second'"
                + " LIMIT $2))";
        Tuple arguments = Tuple.of(retention.age().toSeconds(), config.retentionBatchSize());
        return Multi.createBy().repeating()
                .uni(() -> pool.preparedQuery(sql).execute(arguments).map(rows -> (long) rows.rowCount()))
                .whilst(deleted -> deleted == config.retentionBatchSize())
                .collect().with(Collectors.summingLong(Long::longValue))
                .invoke(deleted -> {
                    if (deleted > 0) {
                        metrics.retentionDeleted(retention.table(), deleted);
                    }
                });
    }

    private Uni<Long> countDefault() {
        return pool.query("SELECT count(*) AS rows FROM bronze.events_default").execute()
                .map(rows -> rows.iterator().next().getLong("rows"));
    }
}
