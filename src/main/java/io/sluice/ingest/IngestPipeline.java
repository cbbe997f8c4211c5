package io.sluice.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.sluice.bronze.BronzeRow;
import io.sluice.bronze.BronzeWriter;
import io.sluice.bronze.BronzeWriter.Delivery;
import io.sluice.bronze.BronzeWriter.Request;
import io.sluice.bronze.DatabaseFailures;
import io.sluice.bronze.PayloadHash;
import io.sluice.bronze.RejectedRow;
import io.sluice.bronze.WebhookDeliveries;
import io.sluice.bronze.WebhookDeliveries.Answer;
import io.sluice.config.SluiceConfig;
import io.sluice.event.EventDecoder;
import io.sluice.event.EventDecoder.DecodedEvent;
import io.sluice.event.EventValidator;
import io.sluice.event.Violation;
import io.sluice.ingest.IngestResult.Rejection;
import io.sluice.metrics.SluiceMetrics;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;

/**
 * The one ingest pipeline every door shares: decode, validate, land in bronze (or rejected_events), and only then
 * report what happened. Nothing is acknowledged before {@link #land} completes. Concurrent calls are merged into one
 * landing statement ({@link GroupCommit}); a value PostgreSQL refuses rejects only the event that holds it.
 */
@ApplicationScoped
public class IngestPipeline {

    /** A webhook delivery to remember, so a redelivery gets the same answer. */
    public record DeliveryKey(String partner, String webhookId) {
    }

    /** The outcome of landing: what happened now, or the answer an earlier delivery of the same webhook-id got. */
    public sealed interface Outcome {
    }

    public record Landed(IngestResult result) implements Outcome {
    }

    public record Replayed(Answer answer) implements Outcome {
    }

    private static final String UNSTORABLE = "PostgreSQL cannot store a value of this event";

    private final EventDecoder decoder;
    private final EventValidator validator;
    private final BronzeWriter bronze;
    private final GroupCommit groupCommit;
    private final WebhookDeliveries deliveries;
    private final Pool pool;
    private final ObjectMapper mapper;
    private final SluiceMetrics metrics;
    private final Duration writeTimeout;

    public IngestPipeline(EventDecoder decoder, EventValidator validator, BronzeWriter bronze, GroupCommit groupCommit,
            WebhookDeliveries deliveries, Pool pool, ObjectMapper mapper, SluiceMetrics metrics, SluiceConfig config) {
        this.decoder = decoder;
        this.validator = validator;
        this.bronze = bronze;
        this.groupCommit = groupCommit;
        this.deliveries = deliveries;
        this.pool = pool;
        this.mapper = mapper;
        this.metrics = metrics;
        this.writeTimeout = config.bronze().writeTimeout();
    }

    public EventDecoder.Decoded decode(byte[] body, EventDecoder.Format format, Map<String, String> ceHeaders) {
        return decoder.decode(body, format, ceHeaders);
    }

    /**
     * Validates and lands a batch, all or nothing, together with whatever else is landing at the same time. With a
     * delivery key the webhook-id is claimed in the same statement and the answer stored with it; if it was claimed
     * before, nothing is written and the earlier answer is returned.
     */
    public Uni<Outcome> land(List<Incoming> batch, Optional<DeliveryKey> delivery) {
        long started = System.nanoTime();
        Plan plan = plan(batch, Set.of(), false);
        return groupCommit.land(request(plan, delivery))
                .chain(claimed -> outcome(claimed, plan, delivery))
                .onFailure(DatabaseFailures::isDataException)
                .recoverWithUni(failure -> isolate(batch, delivery, failure))
                .invoke(outcome -> record(outcome, batch, started));
    }

    /**
     * Lands a batch in the caller's transaction (for a source that commits its own state with the events, such as a
     * pull cursor), without group commit and without a delivery key.
     */
    public Uni<IngestResult> landWithin(SqlConnection connection, List<Incoming> batch) {
        long started = System.nanoTime();
        Plan plan = plan(batch, Set.of(), false);
        return bronze.land(connection, List.of(request(plan, Optional.empty())))
                .map(refused -> plan.result())
                .invoke(result -> record(new Landed(result), batch, started));
    }

    private Uni<Outcome> outcome(boolean claimed, Plan plan, Optional<DeliveryKey> delivery) {
        return claimed ? Uni.createFrom().item(new Landed(plan.result())) : replay(delivery.orElseThrow());
    }

    /**
     * PostgreSQL refused a value of this batch (the decoder screens what jsonb cannot hold, so this is the rare
     * remainder): each event's values are tried alone, without writing, and the ones refused are rejected as
     * {@code unstorable}; the rest land. Should the batch still be refused, every event of it is rejected without
     * its payload, so that a Kafka partition never stops on it and a partner gets a precise answer.
     */
    private Uni<Outcome> isolate(List<Incoming> batch, Optional<DeliveryKey> delivery, Throwable failure) {
        Log.warnf("PostgreSQL refused a value in a batch of %d events from %s (SQLSTATE %s); isolating the event",
                batch.size(), batch.isEmpty() ? "?" : batch.get(0).source(), sqlState(failure));
        Plan first = plan(batch, Set.of(), true);
        List<Integer> indexes = new ArrayList<>(first.payloads.keySet());
        return Multi.createFrom().iterable(indexes)
                .onItem().transformToUniAndConcatenate(index -> bronze.storable(pool, first.payloads.get(index),
                        first.headers.get(index)).map(ok -> ok ? -1 : index))
                .filter(index -> index >= 0)
                .collect().asSet()
                .chain(unstorable -> landAlone(batch, plan(batch, unstorable, false), delivery))
                .onFailure(DatabaseFailures::isDataException)
                .recoverWithUni(again -> landAlone(batch, plan(batch, allIndexes(batch), false), delivery));
    }

    private Uni<Outcome> landAlone(List<Incoming> batch, Plan plan, Optional<DeliveryKey> delivery) {
        return bronze.land(pool, List.of(request(plan, delivery)))
                .chain(refused -> outcome(refused.isEmpty(), plan, delivery));
    }

    private static Set<Integer> allIndexes(List<Incoming> batch) {
        Set<Integer> all = new HashSet<>();
        for (int i = 0; i < batch.size(); i++) {
            all.add(i);
        }
        return all;
    }

    private static String sqlState(Throwable failure) {
        return failure instanceof io.vertx.sqlclient.DatabaseException db ? db.getSqlState() : failure.toString();
    }

    private Request request(Plan plan, Optional<DeliveryKey> delivery) {
        return new Request(plan.rows, plan.rejects, delivery.map(key -> {
            Answer answer = answer(plan.result());
            return new Delivery(key.partner(), key.webhookId(), answer.status(), answer.body());
        }));
    }

    private Uni<Outcome> replay(DeliveryKey key) {
        return deliveries.find(key.partner(), key.webhookId())
                .ifNoItem().after(writeTimeout)
                .failWith(() -> new TimeoutException("the stored answer was not read within " + writeTimeout))
                .map(answer -> new Replayed(answer.orElseThrow(
                        () -> new IllegalStateException("webhook delivery claimed but not answered"))));
    }

    /** The stored answer of a result: 202, or 422 when every event was invalid. */
    public Answer answer(IngestResult result) {
        try {
            return new Answer(result.allRejected() ? 422 : 202, mapper.writeValueAsString(result));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an ingest result could not be written as JSON", e);
        }
    }

    private void record(Outcome outcome, List<Incoming> batch, long started) {
        if (!(outcome instanceof Landed landed) || batch.isEmpty()) {
            return;
        }
        Incoming first = batch.get(0);
        metrics.bronzeWrite(System.nanoTime() - started);
        metrics.received(first.channel(), first.source(), landed.result());
        Log.debugf("landed batch from %s/%s: %d accepted, %d duplicates, %d rejected", first.channel().column(),
                first.source(), landed.result().accepted(), landed.result().duplicates(),
                landed.result().rejected().size());
    }

    /**
     * What a batch will write: its valid events once each by (event_id, payload hash), the others as rejects;
     * {@code unstorable} holds the positions whose values PostgreSQL refused, rejected without payload or headers.
     * With {@code texts} the plan also keeps each written position's payload and headers, for {@link #isolate}
     * (the hot path does not: two map entries per event were 2 % of the Kafka door's CPU in a profile).
     */
    private Plan plan(List<Incoming> batch, Set<Integer> unstorable, boolean texts) {
        Plan plan = new Plan(texts);
        Set<String> keys = new HashSet<>();
        Map<Map<String, String>, String> headersJson = new IdentityHashMap<>();
        for (int index = 0; index < batch.size(); index++) {
            Incoming in = batch.get(index);
            DecodedEvent event = in.event();
            if (unstorable.contains(index)) {
                List<Violation> violations = List.of(new Violation("$", UNSTORABLE));
                plan.rejections.add(new Rejection(index, printable(event.eventId()), violations));
                plan.rejects.add(new RejectedRow(printable(event.eventId()), printable(event.eventType()),
                        in.channel().column(), in.source(), null, "{}", json(violations), "unstorable"));
                continue;
            }
            Map<String, String> eventHeaders = headers(in);
            String headers = eventHeaders.isEmpty() ? "{}" : headersJson.computeIfAbsent(eventHeaders, this::json);
            List<Violation> violations = event.problem().map(List::of)
                    .orElseGet(() -> validator.validate(event));
            if (!violations.isEmpty()) {
                plan.rejections.add(new Rejection(index, event.eventId(), violations));
                RejectedRow reject = rejectedRow(in, headers, violations);
                plan.rejects.add(reject);
                plan.keep(index, reject.payloadJson(), headers);
                continue;
            }
            String payload = new String(event.payloadJson(), StandardCharsets.UTF_8);
            String hash = PayloadHash.of(event.payloadJson());
            plan.accepted++;
            if (keys.add(event.eventId() + ':' + hash)) {
                plan.rows.add(new BronzeRow(event.eventId(), event.eventType(), in.channel().column(), in.source(),
                        payload, headers, hash, in.kafkaTopic(), in.kafkaPartition(), in.kafkaOffset()));
                plan.keep(index, payload, headers);
            } else {
                plan.duplicates++;
            }
        }
        return plan;
    }

    private static Map<String, String> headers(Incoming in) {
        if (in.event().headers().isEmpty()) {
            return in.headers();
        }
        var merged = new java.util.TreeMap<>(in.headers());
        merged.putAll(in.event().headers());
        return merged;
    }

    private RejectedRow rejectedRow(Incoming in, String headers, List<Violation> violations) {
        DecodedEvent event = in.event();
        String reason = event.problem().isPresent()
                ? (event.storable() ? "malformed" : "unstorable")
                : "invalid";
        String payload = event.storable() ? new String(event.payloadJson(), StandardCharsets.UTF_8) : null;
        return new RejectedRow(printable(event.eventId()), printable(event.eventType()), in.channel().column(),
                in.source(), payload, headers, json(violations), reason);
    }

    /** A claimed id or type as a text column can hold it: at most 256 characters, no NUL. */
    private static String printable(String value) {
        if (value == null) {
            return null;
        }
        String text = value.indexOf('\0') < 0 ? value : value.replace("\0", "");
        return text.length() <= 256 ? text : text.substring(0, 256);
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write JSON", e);
        }
    }

    /** What a batch will write, and the answer it gets (known before landing: nothing is deduplicated there). */
    private static final class Plan {

        final List<BronzeRow> rows = new ArrayList<>();
        final List<RejectedRow> rejects = new ArrayList<>();
        final List<Rejection> rejections = new ArrayList<>();
        /** The text of each written position's payload and headers, for {@link #isolate}. */
        final Map<Integer, String> payloads = new LinkedHashMap<>();
        final Map<Integer, String> headers = new HashMap<>();
        private final boolean texts;
        int accepted;
        int duplicates;

        Plan(boolean texts) {
            this.texts = texts;
        }

        void keep(int index, String payload, String headersJson) {
            if (texts) {
                payloads.put(index, payload);
                headers.put(index, headersJson);
            }
        }

        IngestResult result() {
            return new IngestResult(accepted - duplicates, duplicates, List.copyOf(rejections));
        }
    }
}
