package io.sluice.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.sluice.silver.SilverEvent;

/** Duplicates inside one claimed batch collapse to the latest bronze delivery before the upsert (pure). */
class LatestPerEventTest {

    private final SilverTransform transform = new SilverTransform("unit-test-key");
    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void theLatestDeliveryOfEachEventWinsWhateverTheOrderInTheBatch() throws Exception {
        OffsetDateTime t = OffsetDateTime.parse("2026-11-20T10:00:00Z");
        SilverEvent first = silver(1, t, "e-1", "a");
        SilverEvent later = silver(2, t.plusSeconds(1), "e-1", "b");
        SilverEvent sameTimeHigherId = silver(3, t.plusSeconds(1), "e-1", "c");
        SilverEvent other = silver(4, t, "e-2", "d");

        List<SilverEvent> collapsed = PromotionRound.latestPerEvent(List.of(sameTimeHigherId, other, later, first));

        assertThat(collapsed).extracting(SilverEvent::eventId, SilverEvent::userId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("e-1", "c"),
                        org.assertj.core.groups.Tuple.tuple("e-2", "d"));
    }

    private SilverEvent silver(long bronzeId, OffsetDateTime receivedAt, String eventId, String user) throws Exception {
        var payload = mapper.readTree("""
                {"event_id":"%s","event_type":"page_view","occurred_at":"2026-11-20T10:00:00Z","user_id":"%s",
                 "page":{"url":"https://shop.example/"}}""".formatted(eventId, user));
        return transform.toSilver(new BronzeRecord(bronzeId, eventId, receivedAt, "webhook", "unit", payload, Map.of(),
                "\\x00"));
    }
}
