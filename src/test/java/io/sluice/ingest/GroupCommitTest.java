package io.sluice.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
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
 * Group commit, observed in bronze: requests that wait while a landing statement is busy go together in the next
 * statement (one block of ids), and a value PostgreSQL refuses in one of them rejects that one event only, while the
 * other requests of its group land. One statement in flight at a time here, and the first one is held on a row lock
 * this test takes, so that the others are sure to wait.
 */
@QuarkusTest
@TestProfile(GroupCommitTest.OneStatementAtATime.class)
class GroupCommitTest {

    public static class OneStatementAtATime implements QuarkusTestProfile {

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sluice.bronze.group-commit.max-concurrent", "1", "sluice.promotion.enabled", "false");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Inject
    IngestPipeline pipeline;

    @Test
    void requestsThatWaitGoTogetherInOneStatement() throws Exception {
        String source = "gc-" + UUID.randomUUID();
        List<CompletableFuture<Outcome>> waiting = new ArrayList<>();
        CompletableFuture<Outcome> first;
        List<String> ids = new ArrayList<>();
        try (Connection lock = Landings.holdDelivery(source, "held")) {
            first = land(source, Optional.of(new DeliveryKey(source, "held")), Events.pageView(Events.freshId()));
            for (int i = 0; i < 5; i++) {
                String id = Events.freshId();
                ids.add(id);
                waiting.add(land(source, Optional.empty(), Events.pageView(id)));
            }
            lock.rollback();
        }

        assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(Landed.class);
        for (CompletableFuture<Outcome> request : waiting) {
            assertThat(request.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOfSatisfying(Landed.class,
                    landed -> assertThat(landed.result().accepted()).isOne());
        }
        assertThat(Db.count("SELECT count(DISTINCT id / 65536) FROM bronze.events WHERE event_id = ANY(?)",
                (Object) ids.toArray(String[]::new))).as("landing statements of the five waiting requests").isOne();
        assertThat(Db.count("""
                SELECT events FROM bronze.promotion_batches
                WHERE batch_id = (SELECT id / 65536 FROM bronze.events WHERE event_id = ?)""", ids.get(0)))
                .isEqualTo(5);
    }

    @Test
    void aValuePostgresqlRefusesRejectsItsEventAloneAndTheRestOfTheGroupLands() throws Exception {
        String source = "gc-" + UUID.randomUUID();
        String good = Events.freshId(), refused = Events.freshId(), alsoGood = Events.freshId(),
                neighbour = Events.freshId();
        CompletableFuture<Outcome> mixed;
        CompletableFuture<Outcome> other;
        try (Connection lock = Landings.holdDelivery(source, "held")) {
            CompletableFuture<Outcome> held = land(source, Optional.of(new DeliveryKey(source, "held")),
                    Events.pageView(Events.freshId()));
            // a header value jsonb cannot hold (NUL): only a door that forgot to screen it could pass it on
            List<Incoming> batch = List.of(incoming(source, Events.pageView(good), Map.of()),
                    incoming(source, Events.pageView(refused), Map.of("x-binary", "a\u0000b")),
                    incoming(source, Events.pageView(alsoGood), Map.of()));
            mixed = pipeline.land(batch, Optional.empty()).subscribeAsCompletionStage();
            other = land(source, Optional.empty(), Events.pageView(neighbour));
            lock.rollback();
            assertThat(held.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(Landed.class);
        }

        assertThat(other.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOfSatisfying(Landed.class,
                landed -> assertThat(landed.result().accepted()).isOne());
        assertThat(mixed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOfSatisfying(Landed.class, landed -> {
            assertThat(landed.result().accepted()).isEqualTo(2);
            assertThat(landed.result().rejected()).singleElement().satisfies(rejection -> {
                assertThat(rejection.index()).isEqualTo(1);
                assertThat(rejection.eventId()).isEqualTo(refused);
                assertThat(rejection.violations()).extracting(v -> v.field()).containsExactly("$");
            });
        });
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ANY(?)",
                (Object) new String[]{good, alsoGood, neighbour})).isEqualTo(3);
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", refused)).isZero();
        assertThat(
                Db.rows("SELECT reason, payload IS NULL AS no_payload FROM bronze.rejected_events WHERE event_id = ?",
                        refused))
                .singleElement().satisfies(row -> assertThat(row).containsEntry("reason", "unstorable")
                        .containsEntry("no_payload", true));
    }

    private Incoming incoming(String source, String json, Map<String, String> headers) {
        return Landings.incoming(pipeline, source, json, headers);
    }

    private CompletableFuture<Outcome> land(String source, Optional<DeliveryKey> delivery, String json) {
        return pipeline.land(List.of(incoming(source, json, Map.of())), delivery).subscribeAsCompletionStage();
    }
}
