package io.sluice.quality;

/** An expectation's verdict on one window, as stored in {@code quality.results} and counted in the meters. */
public record Verdict(String expectation, Kind kind, java.time.OffsetDateTime window, long checked, long failed,
        Double observed, double threshold, String verdict, String detail) {

    public static final String PASS = "pass";
    public static final String FAIL = "fail";
    public static final String NO_DATA = "no_data";
}
