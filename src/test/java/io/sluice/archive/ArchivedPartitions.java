package io.sluice.archive;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;

/**
 * Test fixture: real events sent through the webhook door and promoted to silver, then aged into a daily partition of
 * their own far past retention (an UPDATE of received_at moves the rows into it), so maintenance must archive it.
 */
final class ArchivedPartitions {

    final LocalDate day;
    final String partition;
    final List<String> ids = new ArrayList<>();

    private ArchivedPartitions(LocalDate day) {
        this.day = day;
        this.partition = "events_" + day.format(DateTimeFormatter.BASIC_ISO_DATE);
    }

    /**
     * A partition of a random day 60 to 3000 days ago, holding {@code events} page views promoted to silver. The day
     * has neither a partition nor an archive yet (an earlier test's partition may have been archived and dropped,
     * leaving its {@code partition_archives} row behind in a test database that outlives the run).
     */
    static ArchivedPartitions withEvents(int events) {
        ArchivedPartitions fixture;
        do {
            fixture = new ArchivedPartitions(LocalDate.now(ZoneOffset.UTC)
                    .minusDays(ThreadLocalRandom.current().nextInt(60, 3000)));
        } while (Db.count("SELECT (SELECT count(*) FROM pg_class WHERE relname = ?)"
                + " + (SELECT count(*) FROM bronze.partition_archives WHERE partition = ?)", fixture.partition,
                fixture.partition) > 0);
        Db.rows("SELECT bronze.ensure_partition(?::date)", fixture.day.toString());
        for (int i = 0; i < events; i++) {
            String id = Events.freshId();
            Signer.post(Events.pageView(id)).then().statusCode(202);
            fixture.ids.add(id);
        }
        String[] ids = fixture.ids.toArray(String[]::new);
        await().atMost(Duration.ofSeconds(60)).until(() -> Db.count(
                "SELECT count(*) FROM silver.events WHERE event_id = ANY(?)", (Object) ids) == events);
        Db.execute("UPDATE bronze.events SET received_at = (?::date + time '12:00') AT TIME ZONE 'UTC' "
                + "+ (id % 1000) * interval '1 millisecond' WHERE event_id = ANY(?)", fixture.day.toString(),
                (Object) ids);
        return fixture;
    }

    String[] idArray() {
        return ids.toArray(String[]::new);
    }

    long rowsInPartition() {
        return Db.count("SELECT count(*) FROM bronze.events WHERE tableoid = to_regclass('bronze." + partition
                + "')");
    }

    boolean partitionExists() {
        return Db.count("SELECT count(*) FROM pg_class WHERE relname = ?", partition) > 0;
    }

    /** Silver as a user sees it, every column, for this fixture's events. */
    List<Map<String, Object>> silver() {
        return Db.rows("SELECT * FROM silver.events WHERE event_id = ANY(?) ORDER BY event_id", (Object) idArray());
    }
}
