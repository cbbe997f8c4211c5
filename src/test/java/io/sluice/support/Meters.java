package io.sluice.support;

import java.util.Arrays;

import io.restassured.RestAssured;

/** Reads /q/metrics in the Prometheus text format, as a scraper would. */
public final class Meters {

    private Meters() {
    }

    public static String scrape(int port) {
        return RestAssured.given().port(port).accept("text/plain; version=0.0.4").get("/q/metrics")
                .then().statusCode(200).extract().asString();
    }

    public static String scrape() {
        return RestAssured.given().accept("text/plain; version=0.0.4").get("/q/metrics")
                .then().statusCode(200).extract().asString();
    }

    /** The sum of every series of {@code name} whose labels contain each of {@code labels} (as {@code k="v"}). */
    public static double sum(String exposition, String name, String... labels) {
        return exposition.lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .filter(line -> Arrays.stream(labels).allMatch(line::contains))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }
}
