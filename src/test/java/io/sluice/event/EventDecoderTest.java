package io.sluice.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.sluice.event.EventDecoder.DecodedEvent;
import io.sluice.event.EventDecoder.Events;
import io.sluice.event.EventDecoder.Format;
import io.sluice.event.EventDecoder.TooLarge;
import io.sluice.event.EventDecoder.Unreadable;

/** Framing and limits of the one decoder both doors use: formats, unreadable bodies, unstorable values. */
class EventDecoderTest {

    private static final EventDecoder DECODER = new EventDecoder(32, 65_536, 1000);
    private static final String EVENT = """
            {"event_id":"evt-1","event_type":"page_view","occurred_at":"2026-11-21T09:00:00Z","anonymous_id":"a",
             "page":{"url":"https://shop.example/"},"price":12.50}""";
    private static final String CLOUD_EVENT = """
            {"specversion":"1.0","id":"ce-1","type":"com.example.shop.purchase","source":"/checkout",
             "time":"2026-11-21T09:00:00Z","data":{"user_id":"u-1","event_type":"ignored"}}""";

    @Test
    void nativeSingleEventKeepsItsBytesAndExactDecimals() {
        DecodedEvent event = single(decode(EVENT, Format.NATIVE));
        assertThat(event.problem()).isEmpty();
        assertThat(event.eventId()).isEqualTo("evt-1");
        assertThat(event.eventType()).isEqualTo("page_view");
        assertThat(new String(event.payloadJson(), StandardCharsets.UTF_8)).contains("\"price\":12.50");
    }

    @Test
    void nativeArrayIsABatchInOrder() {
        List<DecodedEvent> events = events(decode("[" + EVENT + "," + EVENT.replace("evt-1", "evt-2") + "]",
                Format.NATIVE));
        assertThat(events).extracting(DecodedEvent::eventId).containsExactly("evt-1", "evt-2");
    }

    @Test
    void structuredCloudEventMapsItsAttributes() {
        DecodedEvent event = single(decode(CLOUD_EVENT, Format.CLOUDEVENT));
        assertThat(event.problem()).isEmpty();
        assertThat(event.eventId()).isEqualTo("ce-1");
        assertThat(event.eventType()).isEqualTo("purchase");
        assertThat(event.canonical().get("occurred_at").asText()).isEqualTo("2026-11-21T09:00:00Z");
        assertThat(event.canonical().get(CloudEvents.SOURCE_FIELD).asText()).isEqualTo("/checkout");
        assertThat(event.canonical().get("user_id").asText()).isEqualTo("u-1");
        assertThat(event.payload().get("specversion").asText()).isEqualTo("1.0");
    }

    @Test
    void cloudEventBatchChecksEachElement() {
        List<DecodedEvent> events = events(decode("[" + CLOUD_EVENT + "," + EVENT + ","
                + CLOUD_EVENT.replace("\"1.0\"", "\"0.3\"") + "," + CLOUD_EVENT.replace(",\"data\":{", ",\"x\":{")
                + "]", Format.CLOUDEVENT_BATCH));
        assertThat(events.get(0).problem()).isEmpty();
        assertThat(events.get(1).problem()).map(Violation::field).contains("specversion");
        assertThat(events.get(2).problem()).map(Violation::message).contains("must be 1.0");
        assertThat(events.get(3).problem()).map(Violation::field).contains("data");
        assertThat(decode(CLOUD_EVENT, Format.CLOUDEVENT_BATCH)).isInstanceOf(Unreadable.class);
    }

    @Test
    void binaryCloudEventTakesAttributesFromHeaders() {
        Map<String, String> headers = Map.of("ce_specversion", "1.0", "ce_id", "bin-1", "ce_type", "add_to_cart",
                "ce_source", "/cart", "ce_time", "2026-11-21T09:00:00Z");
        DecodedEvent event = single(DECODER.decode("{\"user_id\":\"u\",\"quantity\":1}".getBytes(
                StandardCharsets.UTF_8), Format.CLOUDEVENT_BINARY, headers));
        assertThat(event.problem()).isEmpty();
        assertThat(event.eventId()).isEqualTo("bin-1");
        assertThat(event.eventType()).isEqualTo("add_to_cart");
        assertThat(event.headers()).containsEntry("ce_source", "/cart");

        DecodedEvent old = single(DECODER.decode("{}".getBytes(StandardCharsets.UTF_8), Format.CLOUDEVENT_BINARY,
                Map.of("ce_specversion", "0.3", "ce_id", "bin-2")));
        assertThat(old.problem()).map(Violation::field).contains("specversion");
    }

    @Test
    void unreadableBodiesSayWhy() {
        assertThat(unreadable("")).contains("empty");
        assertThat(unreadable("{\"event_id\":")).contains("not valid JSON");
        assertThat(unreadable("{} {}")).contains("not valid JSON");
        assertThat(unreadable("{\"a\":1,\"a\":2}")).contains("not valid JSON");
        assertThat(unreadable("42")).contains("JSON object");
        assertThat(unreadable("\"text\"")).contains("JSON object");
        assertThat(unreadable("null")).isNotBlank();
        assertThat(unreadable("[]")).contains("empty");
        assertThat(unreadable("{'single':'quotes'}")).contains("not valid JSON");
        assertThat(unreadable("{\"n\":NaN}")).contains("not valid JSON");
        assertThat(unreadable("{\"n\":01}")).contains("not valid JSON");
        assertThat(unreadable("{\"c\":\"" + (char) 1 + "\"}")).contains("not valid JSON");
    }

    @Test
    void invalidUtf8IsUnreadable() {
        for (byte[] bad : List.of(new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'},
                new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xFF, '"', '}'},
                new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'},
                new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'},
                new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xE2, (byte) 0x82, '"', '}'})) {
            EventDecoder.Decoded decoded = DECODER.decode(bad, Format.NATIVE, Map.of());
            assertThat(decoded).isInstanceOf(Unreadable.class);
            assertThat(((Unreadable) decoded).detail()).contains("UTF-8");
        }
        byte[] fine = "{\"a\":\"é ✓ 𝄞 \uFEFF\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(EventDecoder.firstInvalidUtf8(fine)).isEqualTo(-1);
        assertThat(EventDecoder.firstInvalidUtf8(new byte[]{(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}))
                .isZero();
        assertThat(EventDecoder.firstInvalidUtf8(new byte[]{'a', (byte) 0xF0, (byte) 0x9D, (byte) 0x84}))
                .isEqualTo(1);
    }

    @Test
    void nestingDeeperThanTheLimitIsUnreadable() {
        assertThat(unreadable("{\"a\":" + "[".repeat(40) + "]".repeat(40) + "}")).contains("not valid JSON");
        assertThat(decode("{\"a\":" + "[".repeat(30) + "]".repeat(30) + "}", Format.NATIVE))
                .isInstanceOf(Events.class);
    }

    @Test
    void sizeLimitsAreTooLargeForTheRequestAndAProblemForOneElement() {
        String big = EVENT.replace("\"a\"", "\"" + "a".repeat(70_000) + "\"");
        assertThat(decode(big, Format.NATIVE)).isInstanceOf(TooLarge.class);
        List<DecodedEvent> batch = events(decode("[" + big + "," + EVENT + "]", Format.NATIVE));
        assertThat(batch.get(0).problem()).map(Violation::message).hasValueSatisfying(m -> assertThat(m)
                .contains("65536"));
        assertThat(batch.get(1).problem()).isEmpty();
        assertThat(decode("[" + (EVENT + ",").repeat(1000) + EVENT + "]", Format.NATIVE))
                .isInstanceOf(TooLarge.class);
    }

    @Test
    void valuesPostgresCannotStoreAreAProblemOfTheirElementOnly() {
        List<DecodedEvent> batch = events(decode("[" + EVENT.replace("\"a\"", "\"a\\u0000b\"") + ","
                + EVENT.replace("\"a\"", "\"\\ud800\"") + "," + EVENT.replace("12.50", "1e999999") + ","
                + EVENT.replace("12.50", "1e-20000") + "," + EVENT.replace("\"price\"", "\"\\u0000\"") + ","
                + EVENT + "]", Format.NATIVE));
        assertThat(batch).hasSize(6);
        for (int i = 0; i < 5; i++) {
            assertThat(batch.get(i).problem()).as("element %d", i).isPresent();
            assertThat(batch.get(i).payload()).as("element %d", i).isNull();
        }
        assertThat(batch.get(0).problem().get().message()).contains("NUL");
        assertThat(batch.get(1).problem().get().message()).contains("surrogate");
        assertThat(batch.get(2).problem().get().message()).contains("range");
        assertThat(batch.get(5).problem()).isEmpty();
    }

    @Test
    void elementsThatAreNotObjectsAreAProblemOfTheirOwn() {
        List<DecodedEvent> batch = events(decode("[1,\"x\",null,[]," + EVENT + "]", Format.NATIVE));
        assertThat(batch.subList(0, 4)).allSatisfy(e -> assertThat(e.problem()).map(Violation::field).contains("$"));
        assertThat(batch.get(4).problem()).isEmpty();
    }

    @Test
    void nonTextualIdsAreNotClaimed() {
        DecodedEvent event = single(decode(EVENT.replace("\"evt-1\"", "42"), Format.NATIVE));
        assertThat(event.eventId()).isNull();
    }

    private static EventDecoder.Decoded decode(String body, Format format) {
        return DECODER.decode(body.getBytes(StandardCharsets.UTF_8), format, Map.of());
    }

    private static String unreadable(String body) {
        EventDecoder.Decoded decoded = decode(body, Format.NATIVE);
        assertThat(decoded).as(body).isInstanceOf(Unreadable.class);
        return ((Unreadable) decoded).detail();
    }

    private static List<DecodedEvent> events(EventDecoder.Decoded decoded) {
        assertThat(decoded).isInstanceOf(Events.class);
        return ((Events) decoded).events();
    }

    private static DecodedEvent single(EventDecoder.Decoded decoded) {
        List<DecodedEvent> events = events(decoded);
        assertThat(events).hasSize(1);
        return events.get(0);
    }
}
