package io.sluice.ingest;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.sluice.event.Violation;

/** What happened to each event of one request or batch; the webhook's 202/422 body. */
public record IngestResult(int accepted, int duplicates, List<Rejection> rejected) {

    /** An event that was not taken, by its position in the request. */
    public record Rejection(int index, @JsonProperty("event_id") String eventId, List<Violation> violations) {
    }

    public boolean allRejected() {
        return accepted == 0 && duplicates == 0 && !rejected.isEmpty();
    }
}
