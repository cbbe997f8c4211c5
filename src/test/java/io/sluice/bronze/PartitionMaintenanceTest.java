package io.sluice.bronze;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Meters;
import io.sluice.support.Signer;

/**
 * Maintenance never stalls landing (finding 3) and leaves no table growing for ever (finding 4): partition DDL runs
 * one partition per short transaction under lock_timeout, so a webhook does not queue behind it while another session
 * holds bronze.events; expired rows of rejected_events, quarantine, webhook_deliveries and events_default are deleted
 * in batches; rows caught by the default partition are moved into their day's partition.
 */
@QuarkusTest
@TestProfile(MaintenanceProfile.class)
class PartitionMaintenanceTest {

    @Inject
    PartitionMaintenance maintenance;

    @Test
    void partitionDdlGivesUpOnABusyTableInsteadOfStallingLanding() throws Exception {
        String partition = "events_"
                + LocalDate.now(ZoneOffset.UTC).plusDays(7).format(DateTimeFormatter.BASIC_ISO_DATE);
        Db.executeAsOwner("DROP TABLE IF EXISTS bronze." + partition);
        double timeoutsBefore = Meters.sum(Meters.scrape(), "sluice_maintenance_lock_timeouts_total");
        CompletableFuture<PartitionMaintenance.Report> run;
        try (Connection reader = Db.connect()) {
            reader.setAutoCommit(false);
            try (Statement statement = reader.createStatement()) {
                // a long read (an analyst's query, a slow export) holds bronze.events
                statement.execute("SELECT count(*) FROM bronze.events");
            }
            run = maintenance.maintain().subscribeAsCompletionStage();
            Thread.sleep(500);
            long started = System.nanoTime();
            String id = Events.freshId();
            Signer.post(Events.pageView(id)).then().statusCode(202);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("landing while maintenance waits")
                    .isLessThan(Duration.ofSeconds(15));
            PartitionMaintenance.Report report = run.get(60, TimeUnit.SECONDS);
            assertThat(report.lockTimeouts()).isPositive();
            reader.rollback();
        }
        assertThat(Meters.sum(Meters.scrape(), "sluice_maintenance_lock_timeouts_total")).isGreaterThan(timeoutsBefore);
        // the next run, with the table free, does the step it left
        assertThat(maintenance.maintain().await().atMost(Duration.ofSeconds(60)).created()).isPositive();
        assertThat(Db.count("SELECT count(*) FROM pg_class WHERE relname = ?", partition)).isEqualTo(1);
    }

    @Test
    void expiredRowsOfEveryGrowingTableAreDeletedInBatches() {
        String tag = "retention-" + UUID.randomUUID();
        for (int i = 0; i < 5; i++) {
            rejected(tag, "now() - interval '40 days'");
            quarantined(tag, "now() - interval '100 days'");
            delivery(tag, "now() - interval '8 days'");
        }
        rejected(tag, "now() - interval '1 day'");
        quarantined(tag, "now() - interval '10 days'");
        delivery(tag, "now() - interval '1 day'");

        PartitionMaintenance.Report report = maintenance.maintain().await().atMost(Duration.ofSeconds(60));

        assertThat(report.deleted()).isGreaterThanOrEqualTo(15);
        assertThat(Db.count("SELECT count(*) FROM bronze.rejected_events WHERE source = ?", tag)).isEqualTo(1);
        assertThat(Db.count("SELECT count(*) FROM bronze.quarantine WHERE error = ?", tag)).isEqualTo(1);
        assertThat(Db.count("SELECT count(*) FROM bronze.webhook_deliveries WHERE partner = ?", tag)).isEqualTo(1);
        assertThat(Meters.sum(Meters.scrape(), "sluice_retention_deleted_total", "table=\"bronze.rejected_events\""))
                .isGreaterThanOrEqualTo(5);
    }

    @Test
    void rowsCaughtByTheDefaultPartitionMoveIntoTheirDay() {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).plusDays(6);
        String partition = "events_" + day.format(DateTimeFormatter.BASIC_ISO_DATE);
        Db.executeAsOwner("DROP TABLE IF EXISTS bronze." + partition);
        String id = Events.freshId();
        Db.execute(
                """
                        INSERT INTO bronze.events (id, event_id, event_type, channel, source, received_at, payload, payload_hash)
                        VALUES (?, ?, 'page_view', 'webhook', 'maintenance-test', (?::date + time '12:00') AT TIME ZONE 'UTC',
                                '{}'::jsonb, '\\x00'::bytea)
                        """,
                -ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE / 2), id, day.toString());
        assertThat(Db.count("SELECT count(*) FROM bronze.events_default WHERE event_id = ?", id)).isEqualTo(1);

        PartitionMaintenance.Report report = maintenance.maintain().await().atMost(Duration.ofSeconds(60));

        assertThat(report.defaultRows()).isZero();
        assertThat(Db.rows("SELECT tableoid::regclass::text AS part FROM bronze.events WHERE event_id = ?", id))
                .singleElement().extracting(row -> row.get("part")).isEqualTo("bronze." + partition);
        assertThat(Meters.sum(Meters.scrape(), "sluice_bronze_default_rows")).isZero();
    }

    private static void rejected(String tag, String receivedAt) {
        Db.execute("INSERT INTO bronze.rejected_events (event_id, channel, source, received_at, violations, reason) "
                + "VALUES (?, 'webhook', ?, " + receivedAt + ", '[]', 'test')", Events.freshId(), tag);
    }

    private static void quarantined(String tag, String quarantinedAt) {
        Db.execute("INSERT INTO bronze.quarantine (bronze_id, received_at, event_id, attempts, error, quarantined_at) "
                + "VALUES (?, now(), ?, 5, ?, " + quarantinedAt + ")",
                -ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE / 2), Events.freshId(), tag);
    }

    private static void delivery(String tag, String receivedAt) {
        Db.execute("INSERT INTO bronze.webhook_deliveries (partner, webhook_id, received_at, status, response) "
                + "VALUES (?, ?, " + receivedAt + ", 202, '{}')", tag, "msg_" + UUID.randomUUID());
    }
}
