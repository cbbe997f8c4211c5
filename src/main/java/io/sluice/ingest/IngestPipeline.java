package io.sluice.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.sluice.bronze.BronzeRow;
import io.sluice.bronze.BronzeWriter;
import io.sluice.bronze.RejectedRow;
import io.sluice.bronze.WebhookDeliveries;
import io.sluice.bronze.WebhookDeliveries.Answer;
import io.sluice.event.EventDecoder;
import io.sluice.event.EventDecoder.DecodedEvent;
import io.sluice.event.EventValidator;
import io.sluice.event.Violation;
import io.sluice.ingest.IngestResult.Rejection;
import io.sluice.metrics.SluiceMetrics;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;

/**
 * The one ingest pipeline both doors share: decode, validate, land in bronze (or rejected_events) in one transaction,
 * and only then report what happened. Nothing is acknowledged before {@link #land} completes.
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

    private final EventDecoder decoder;
    private final EventValidator validator;
    private final BronzeWriter bronze;
    private final WebhookDeliveries deliveries;
    private final Pool pool;
    private final ObjectMapper mapper;
    private final SluiceMetrics metrics;

    public IngestPipeline(EventDecoder decoder, EventValidator validator, BronzeWriter bronze,
            WebhookDeliveries deliveries, Pool pool, ObjectMapper mapper, SluiceMetrics metrics) {
        this.decoder = decoder;
        this.validator = validator;
        this.bronze = bronze;
        this.deliveries = deliveries;
        this.pool = pool;
        this.mapper = mapper;
        this.metrics = metrics;
    }

    public EventDecoder.Decoded decode(byte[] body, EventDecoder.Format format, Map<String, String> ceHeaders) {
        return decoder.decode(body, format, ceHeaders);
    }

    /**
     * Validates and lands a batch in one transaction. With a delivery key, the webhook-id is claimed in the same
     * transaction and the answer stored with it; if it was claimed before, nothing is written and the earlier
     * answer is returned.
     */
    public Uni<Outcome> land(List<Incoming> batch, Optional<DeliveryKey> delivery) {
        Plan plan = plan(batch);
        long started = System.nanoTime();
        return pool.withTransaction(connection -> delivery
                .map(key -> deliveries.claim(connection, key.partner(), key.webhookId()))
                .orElse(Uni.createFrom().item(true))
                .chain(claimed -> claimed
                        ? write(connection, plan, delivery)
                        : replay(connection, delivery.get())))
                .invoke(outcome -> record(outcome, plan, batch, started));
    }

    private Uni<Outcome> write(SqlConnection connection, Plan plan, Optional<DeliveryKey> delivery) {
        return bronze.land(connection, plan.rows)
                .call(() -> bronze.reject(connection, plan.rejects))
                .map(plan::result)
                .call(result -> delivery
                        .map(key -> deliveries.answer(connection, key.partner(), key.webhookId(), answer(result)))
                        .orElse(Uni.createFrom().voidItem()))
                .map(Landed::new);
    }

    private Uni<Outcome> replay(SqlConnection connection, DeliveryKey key) {
        return deliveries.find(connection, key.partner(), key.webhookId())
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

    private void record(Outcome outcome, Plan plan, List<Incoming> batch, long started) {
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

    private Plan plan(List<Incoming> batch) {
        Plan plan = new Plan();
        Set<String> keys = new HashSet<>();
        for (int index = 0; index < batch.size(); index++) {
            Incoming in = batch.get(index);
            DecodedEvent event = in.event();
            List<Violation> violations = event.problem().map(List::of)
                    .orElseGet(() -> validator.validate(event.canonical()));
            if (!violations.isEmpty()) {
                plan.rejections.add(new Rejection(index, event.eventId(), violations));
                plan.rejects.add(rejectedRow(in, violations));
                continue;
            }
            String hash = sha256(event.payloadJson());
            String key = event.eventId() + ":" + hash;
            plan.keys.add(key);
            if (keys.add(key)) {
                plan.rows.add(new BronzeRow(event.eventId(), event.eventType(), in.channel().column(), in.source(),
                        new String(event.payloadJson(), StandardCharsets.UTF_8), json(headers(in)), hash,
                        in.kafkaTopic(), in.kafkaPartition(), in.kafkaOffset()));
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

    private RejectedRow rejectedRow(Incoming in, List<Violation> violations) {
        DecodedEvent event = in.event();
        String reason = event.problem().isPresent()
                ? (event.payload() == null ? "unstorable" : "malformed")
                : "invalid";
        String payload = event.payload() == null ? null : new String(event.payloadJson(), StandardCharsets.UTF_8);
        return new RejectedRow(truncate(event.eventId()), truncate(event.eventType()), in.channel().column(),
                in.source(), payload, json(headers(in)), json(violations), reason);
    }

    private static String truncate(String value) {
        return value == null || value.length() <= 256 ? value : value.substring(0, 256);
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write JSON", e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** What a batch will write: distinct bronze rows, rejects, and each accepted event's key in order. */
    private static final class Plan {

        final List<BronzeRow> rows = new ArrayList<>();
        final List<RejectedRow> rejects = new ArrayList<>();
        final List<Rejection> rejections = new ArrayList<>();
        final List<String> keys = new ArrayList<>();

        IngestResult result(Set<String> fresh) {
            int accepted = 0;
            Set<String> counted = new HashSet<>();
            for (String key : keys) {
                if (fresh.contains(key) && counted.add(key)) {
                    accepted++;
                }
            }
            return new IngestResult(accepted, keys.size() - accepted, List.copyOf(rejections));
        }
    }
}
