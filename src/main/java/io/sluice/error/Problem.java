package io.sluice.error;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.sluice.event.Violation;

/** An RFC 9457 problem detail, the body of every error Sluice answers. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Problem(String type, String title, int status, String detail, List<Violation> violations) {
    public static final String MEDIA_TYPE = "application/problem+json";
    private static final String BASE = "https://sluice.io/problems/";

    public static Problem of(String slug, String title, int status, String detail) {
        return new Problem(BASE + slug, title, status, detail, List.of());
    }
}
