package io.sluice.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The positional RFC 3339 reader agrees with java.time's strict ISO parser on every accepted and refused form. */
class TimestampsTest {

    private static final Pattern RFC3339 = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})");

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-20T10:00:00Z", "2026-11-20t10:00:00z", "2026-11-20 10:00:00+01:00",
            "2026-11-20T10:00:00.5Z", "2026-11-20T10:00:00.123456789-05:30", "2024-02-29T23:59:59+18:00",
            "0001-01-01T00:00:00-00:00", "2026-11-20T10:00:00.1234567890Z", "2026-02-30T10:00:00Z",
            "2026-13-01T10:00:00Z", "2026-11-20T24:00:00Z", "2026-11-20T23:59:60Z", "2026-11-20T10:00:00+19:00",
            "2026-11-20T10:00:00+01:60", "2026-11-20T10:00:00", "2026-11-20T10:00:00.Z", "2026-11-20T10:00Z",
            "2026-11-20X10:00:00Z", "2026-11-20T10:00:00+0100", "2026-11-20T10:00:00Z ", "", "yesterday",
            "२०२६-11-20T10:00:00Z", "2026-11-20T10:00:00+01:00:00"})
    void agreesWithTheStrictIsoParser(String value) {
        assertThat(Timestamps.parse(value)).isEqualTo(reference(value));
    }

    private static Optional<OffsetDateTime> reference(String value) {
        if (!RFC3339.matcher(value).matches()) {
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
