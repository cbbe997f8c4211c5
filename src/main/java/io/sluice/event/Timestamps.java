package io.sluice.event;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Pattern;

/** RFC 3339 timestamps: date, 'T' or space, time, optional fraction, and a mandatory Z or offset. */
public final class Timestamps {

    private static final Pattern RFC3339 = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})");

    private Timestamps() {
    }

    public static Optional<OffsetDateTime> parse(String value) {
        if (value == null || !RFC3339.matcher(value).matches()) {
            return Optional.empty();
        }
        try {
            String iso = value.replace(' ', 'T').replace('t', 'T').replace('z', 'Z');
            return Optional.of(OffsetDateTime.parse(iso, DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
