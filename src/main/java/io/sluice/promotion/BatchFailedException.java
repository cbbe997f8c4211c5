package io.sluice.promotion;

import java.util.Map;

/**
 * A promotion round failed for a reason that may lie in its events (a constraint, a value PostgreSQL refuses). Carries
 * the claimed work items and their attempts so far, so the promoter can isolate the bad event.
 */
public class BatchFailedException extends RuntimeException {

    private final transient Map<Long, Integer> attempts;

    public BatchFailedException(Map<Long, Integer> attempts, Throwable cause) {
        super(cause.toString(), cause);
        this.attempts = Map.copyOf(attempts);
    }

    /** Attempts so far, by bronze id, of the work items the failed round had claimed. */
    public Map<Long, Integer> attempts() {
        return attempts;
    }
}
