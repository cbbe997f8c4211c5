package io.sluice.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sluice.ingest.IngestPipeline.DeliveryKey;
import io.sluice.ingest.IngestPipeline.Landed;
import io.sluice.ingest.IngestPipeline.Outcome;
import io.sluice.support.Db;
import io.sluice.support.Events;

/**
 * The linger of group commit, observed in bronze: while a statement is in flight, a free slot waits for more than a
 * small request, but starts at once when {@code linger-below-events} wait (a Kafka poll is hundreds of records). The
 * first statement is held on a row lock this test takes; the linger is far longer than the test's waits.
 */
@QuarkusTest
@TestProfile(GroupCommitLingerTest.LongLinger.class)
class GroupCommitLingerTest {

    public static class LongLinger implements QuarkusTestProfile {

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sluice.bronze.group-commit.max-concurrent", "2",
                    "sluice.bronze.group-commit.linger", "30s",
                    "sluice.bronze.group-commit.linger-below-events", "3",
                    "sluice.bronze.write-timeout", "60s",
                    "sluice.promotion.enabled", "false");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Inject
    IngestPipeline pipeline;

    @Test
    void aSmallRequestLingersAndEnoughEventsStartTheStatementAtOnce() throws Exception {
        String source = "linger-" + UUID.randomUUID();
        String alone = Events.freshId(), second = Events.freshId(), third = Events.freshId();
        try (Connection lock = Landings.holdDelivery(source, "held")) {
            CompletableFuture<Outcome> held = pipeline
                    .land(List.of(incoming(source, Events.pageView(Events.freshId()))),
                            Optional.of(new DeliveryKey(source, "held")))
                    .subscribeAsCompletionStage();
            CompletableFuture<Outcome> small = land(source, alone);
            Thread.sleep(1_000);
            assertThat(small).as("one event while a statement is in flight waits for more").isNotDone();
            assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", alone)).isZero();

            CompletableFuture<Outcome> pair = land(source, second, third);

            assertThat(pair.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOfSatisfying(Landed.class,
                    landed -> assertThat(landed.result().accepted()).isEqualTo(2));
            assertThat(small.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOfSatisfying(Landed.class,
                    landed -> assertThat(landed.result().accepted()).isOne());
            assertThat(held).as("the first statement is still held on the lock").isNotDone();
            lock.rollback();
            assertThat(held.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(Landed.class);
        }
        assertThat(Db.count("SELECT count(DISTINCT id / 65536) FROM bronze.events WHERE event_id = ANY(?)",
                (Object) new String[]{alone, second, third})).as("statements of the three waiting events").isOne();
    }

    private Incoming incoming(String source, String json) {
        return Landings.incoming(pipeline, source, json, Map.of());
    }

    private CompletableFuture<Outcome> land(String source, String... eventIds) {
        List<Incoming> events = Arrays.stream(eventIds)
                .map(id -> incoming(source, Events.pageView(id))).toList();
        return pipeline.land(events, Optional.empty()).subscribeAsCompletionStage();
    }
}
