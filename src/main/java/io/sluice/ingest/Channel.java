package io.sluice.ingest;

/** The door an event came in by, as recorded in bronze's {@code channel} column. */
public enum Channel {

    WEBHOOK("webhook"), KAFKA("kafka"), PULL("pull"), FILE("file");

    private final String column;

    Channel(String column) {
        this.column = column;
    }

    public String column() {
        return column;
    }
}
