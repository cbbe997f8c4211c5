package io.sluice.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import io.sluice.event.CloudEvents;
import io.sluice.event.EventDecoder;
import io.sluice.event.EventDecoder.Format;
import io.sluice.ingest.IngestPipeline;

/**
 * Reads one Kafka record into events with the decoder both doors share. The framing follows the CloudEvents Kafka
 * protocol binding exactly as the SmallRye connector detects it ({@code KafkaCloudEventHelper.getCloudEventMode}): a
 * {@code content-type} header starting with {@code application/cloudevents} is structured mode (a
 * {@code application/cloudevents-batch+json} value is an array of them), {@code ce_} attribute headers are binary
 * mode with the value as the event's data, anything else is a native event (or an array of them).
 * <p>
 * Why not the connector's own CloudEvents support ({@code cloud-events=true}, {@code IncomingKafkaCloudEventMetadata}):
 * it builds that metadata inside the connector's poll loop, while it wraps each record, before any application code
 * runs. A structured record whose value is not JSON, or a {@code ce_source} that is not a URI, or a {@code ce_time}
 * that is not RFC 3339 throws there. Measured with {@code PoisonRecordTest} and {@code cloud-events=true}: the
 * malformed structured record ends in SRMSG18249 ("Unable to recover from the deserialization failure"), the
 * consumer of that partition stops, and the good events behind it never land: one poison record blocks a partition
 * (the opposite of SPEC.md I4), and a readable event with a bad time could never reach bronze.rejected_events with
 * its violation. In structured mode it also replaces the payload with the {@code data} member as a Vert.x
 * {@code JsonObject} (not the {@code byte[]} the channel declares), dropping the envelope bronze must keep as
 * received. So the channel is configured with {@code cloud-events=false}, and the attributes are mapped by
 * {@link CloudEvents}, the same code the webhook door uses, which turns every defect into a violation instead.
 */
@ApplicationScoped
public class RecordReader {

    static final String CONTENT_TYPE = "content-type";
    static final String STRUCTURED = "application/cloudevents";
    static final String STRUCTURED_BATCH = "application/cloudevents-batch";

    private final IngestPipeline pipeline;

    public RecordReader(IngestPipeline pipeline) {
        this.pipeline = pipeline;
    }

    /** The events of a record, or why it cannot be read ({@link EventDecoder.Unreadable}). */
    public EventDecoder.Decoded read(ConsumerRecord<byte[], byte[]> record) {
        return read(record, headers(record));
    }

    /** The same, given the record's {@link #headers} already read. */
    public EventDecoder.Decoded read(ConsumerRecord<byte[], byte[]> record, Map<String, String> headers) {
        Map<String, String> attributes = new TreeMap<>();
        headers.forEach((key, value) -> {
            if (key.startsWith(CloudEvents.HEADER_PREFIX) && !value.startsWith(BINARY_PREFIX)) {
                attributes.put(key, value);
            }
        });
        String contentType = headers.getOrDefault(CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
        Format format = contentType.startsWith(STRUCTURED_BATCH)
                ? Format.CLOUDEVENT_BATCH
                : contentType.startsWith(STRUCTURED)
                        ? Format.CLOUDEVENT
                        : CloudEvents.isBinary(attributes)
                                ? Format.CLOUDEVENT_BINARY
                                : Format.NATIVE;
        byte[] value = record.value() == null ? new byte[0] : record.value();
        try {
            return pipeline.decode(value, format, attributes);
        } catch (RuntimeException e) {
            // never let one record fail the channel: what cannot be decoded is a dead letter with the cause
            return new EventDecoder.Unreadable("record could not be decoded: " + e);
        }
    }

    /**
     * The record's headers by lower-case name, kept with the event in bronze: UTF-8 text as it is; any other value
     * (binary, or text holding NUL, which PostgreSQL's jsonb cannot store, such as Spring Kafka's type headers) as
     * {@code base64:} followed by its bytes in base64. Nothing of the record is dropped, and no header can make the
     * record unstorable.
     */
    public Map<String, String> headers(ConsumerRecord<?, ?> record) {
        Map<String, String> headers = new TreeMap<>();
        for (Header header : record.headers()) {
            if (header.value() != null) {
                headers.put(header.key().toLowerCase(Locale.ROOT), text(header.value()));
            }
        }
        return headers;
    }

    static final String BINARY_PREFIX = "base64:";

    static String text(byte[] value) {
        return utf8(value).filter(text -> text.indexOf('\0') < 0)
                .orElseGet(() -> BINARY_PREFIX + Base64.getEncoder().encodeToString(value));
    }

    static String reason(EventDecoder.Decoded decoded) {
        if (decoded instanceof EventDecoder.Unreadable unreadable) {
            return unreadable.detail();
        }
        if (decoded instanceof EventDecoder.TooLarge tooLarge) {
            return tooLarge.detail();
        }
        throw new IllegalArgumentException("not a failure: " + decoded);
    }

    private static Optional<String> utf8(byte[] bytes) {
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
