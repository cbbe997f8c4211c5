package io.sluice.quality;

import java.util.Arrays;
import java.util.Optional;

/** The kinds of expectation, by their configuration name. */
public enum Kind {

    /** A field is present (not null, not blank) in all but {@code max-ratio} of the rows. */
    NOT_NULL("not-null", true),
    /** No other silver row has the same value of the field (checked through an index). */
    UNIQUE("unique", true),
    /** The field's value, when present, is one of {@code values}. */
    ACCEPTED_VALUES("accepted-values", true),
    /** The field's value, when present, is a number within [{@code min}, {@code max}]. */
    RANGE("range", true),
    /** The newest event's {@code occurred_at} is at most {@code max-age} old. */
    FRESHNESS("freshness", false),
    /** New events per hour lie within a factor of the same hour over the trailing week. */
    VOLUME("volume", false);

    private final String configName;
    private final boolean perRow;

    Kind(String configName, boolean perRow) {
        this.configName = configName;
        this.perRow = perRow;
    }

    public String configName() {
        return configName;
    }

    /** Row kinds check every written row and give a failing ratio per window; the others judge the source. */
    public boolean perRow() {
        return perRow;
    }

    public static Optional<Kind> of(String configName) {
        return Arrays.stream(values()).filter(k -> k.configName.equals(configName)).findFirst();
    }
}
