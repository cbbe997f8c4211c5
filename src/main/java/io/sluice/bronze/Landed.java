package io.sluice.bronze;

/** A CDI event fired after events were committed to bronze on this instance: a hint for promoters, not state. */
public record Landed(int events) {
}
