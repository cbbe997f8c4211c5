package io.sluice.promotion;

import java.util.List;
import java.util.Map;

/**
 * A promotion round failed for a reason that may lie in its events (a constraint, a value PostgreSQL refuses). Carries
 * the claimed work items and their attempts so far, so the promoter can isolate the bad event.
 */
public class BatchFailedException extends RuntimeException {

    private final transient Map<Long, WorkItem> items;
    private final transient List<Long> batches;

    public BatchFailedException(Map<Long, WorkItem> items, List<Long> batches, Throwable cause) {
        super(cause.toString(), cause);
        this.items = Map.copyOf(items);
        this.batches = List.copyOf(batches);
    }

    /** The events the failed round had claimed, by bronze id, with their attempts so far. */
    public Map<Long, WorkItem> items() {
        return items;
    }

    /** The landed batches the failed round had claimed: their events have no work item of their own yet. */
    public List<Long> batches() {
        return batches;
    }
}
