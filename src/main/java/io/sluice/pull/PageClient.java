package io.sluice.pull;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.smallrye.mutiny.Uni;
import io.sluice.config.SluiceConfig.PullSource;

/**
 * Requests one page of a pull source with the JDK's HTTP client: the configured URL with the page size and cursor as
 * query parameters (or the cursor itself when it is a {@code Link rel="next"} URL), the configured headers, a connect
 * and a whole-page timeout. Classifies the answer; never throws for what the API does.
 */
final class PageClient {

    private static final Pattern LINK_NEXT = Pattern.compile("<([^>]*)>\\s*;[^,]*rel\\s*=\\s*\"?next\"?",
            Pattern.CASE_INSENSITIVE);

    private final String name;
    private final PullSource source;
    private final HttpClient http;
    private final Clock clock;

    PageClient(String name, PullSource source, Clock clock) {
        this.name = name;
        this.source = source;
        this.clock = clock;
        this.http = HttpClient.newBuilder()
                .connectTimeout(source.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    Uni<Fetch> fetch(Optional<String> cursor) {
        HttpRequest request;
        try {
            HttpRequest.Builder builder = HttpRequest.newBuilder(uri(cursor))
                    .timeout(source.readTimeout())
                    .header("Accept", "application/json")
                    .GET();
            source.headers().forEach(builder::header);
            request = builder.build();
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().item(new Fetch.Failed("bad request for " + name + ": " + e.getMessage()));
        }
        return Uni.createFrom().completionStage(() -> http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()))
                .ifNoItem().after(source.readTimeout().plusSeconds(1)).failWith(TimeoutException::new)
                .map(this::classify)
                .onFailure().recoverWithItem(PageClient::transportFailure);
    }

    URI uri(Optional<String> cursor) {
        if (cursor.isPresent() && (cursor.get().startsWith("http://") || cursor.get().startsWith("https://"))) {
            return URI.create(cursor.get());
        }
        StringBuilder uri = new StringBuilder(source.url());
        uri.append(source.url().contains("?") ? '&' : '?')
                .append(encode(source.limitParam())).append('=').append(source.pageSize());
        cursor.ifPresent(c -> uri.append('&').append(encode(source.cursorParam())).append('=').append(encode(c)));
        return URI.create(uri.toString());
    }

    private Fetch classify(HttpResponse<byte[]> response) {
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return new Fetch.Page(response.body(), linkNext(response.headers().allValues("Link"), response.uri()));
        }
        String error = "HTTP " + status + " from " + response.uri().getHost();
        if (status == 429 || status >= 500) {
            return new Fetch.Retry(error, response.headers().firstValue("Retry-After")
                    .flatMap(value -> retryAfter(value, clock)));
        }
        return new Fetch.Failed(error);
    }

    private static Fetch transportFailure(Throwable failure) {
        if (failure instanceof HttpTimeoutException || failure instanceof TimeoutException) {
            return new Fetch.Retry("timeout: " + failure.getClass().getSimpleName(), Optional.empty());
        }
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        return new Fetch.Retry("connection failed: " + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : " " + cause.getMessage()), Optional.empty());
    }

    static Optional<String> linkNext(Iterable<String> links, URI base) {
        for (String link : links) {
            Matcher matcher = LINK_NEXT.matcher(link);
            if (matcher.find()) {
                return Optional.of(base.resolve(matcher.group(1).trim()).toString());
            }
        }
        return Optional.empty();
    }

    /** {@code Retry-After} as delta-seconds or an HTTP date (RFC 9110 section 10.2.3); nonsense is ignored. */
    static Optional<Duration> retryAfter(String value, Clock clock) {
        String trimmed = value.trim();
        try {
            long seconds = Long.parseLong(trimmed);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException e) {
            // maybe an HTTP date
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration wait = Duration.between(clock.instant(), at.toInstant());
            return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
