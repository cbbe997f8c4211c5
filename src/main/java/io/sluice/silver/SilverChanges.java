package io.sluice.silver;

import java.util.List;

/**
 * What one silver upsert changed: the event_ids it inserted or replaced, and the rows it replaced as they were before
 * (JSON arrays of {@code silver.events} and {@code silver.order_items} columns), which gold needs to take back.
 */
public record SilverChanges(List<String> changed, String replacedEventsJson, String replacedItemsJson) {

    public static final SilverChanges NONE = new SilverChanges(List.of(), "[]", "[]");
}
