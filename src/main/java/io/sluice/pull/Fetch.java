package io.sluice.pull;

import java.time.Duration;
import java.util.Optional;

/** What one page request gave: a page, a reason to retry later, or a failure that needs a person. */
sealed interface Fetch {

    /** A 2xx page: its body and the {@code Link rel="next"} URL if the API sent one. */
    record Page(byte[] body, Optional<String> linkNext) implements Fetch {
    }

    /** 429, 5xx, a timeout or a connection error: try again after at least {@code retryAfter} (if the API said). */
    record Retry(String error, Optional<Duration> retryAfter) implements Fetch {
    }

    /** Any other answer (a 4xx): the source is failing until the API or the configuration is fixed. */
    record Failed(String error) implements Fetch {
    }
}
