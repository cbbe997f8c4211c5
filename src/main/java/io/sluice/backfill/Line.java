package io.sluice.backfill;

/**
 * One line (NDJSON) or record (CSV) of a backfill file, by its 1-based number in the file: the event as JSON bytes,
 * or why there is none ({@code json} null: the line was over the size limit, or a CSV row could not be built).
 */
record Line(long number, byte[] json, String problem) {

    static Line of(long number, byte[] json) {
        return new Line(number, json, null);
    }

    static Line refused(long number, String problem) {
        return new Line(number, null, problem);
    }
}
