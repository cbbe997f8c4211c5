package io.sluice.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import jakarta.validation.Validation;

import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** SPEC.md section 3, rule by rule and type by type, without Quarkus; the clock is fixed. */
class EventValidatorTest {

    private static final Instant NOW = Instant.parse("2026-11-21T10:00:00Z");
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final EventValidator VALIDATOR = new EventValidator(MAPPER,
            Validation.byDefaultProvider().configure().messageInterpolator(new ParameterMessageInterpolator())
                    .buildValidatorFactory().getValidator(),
            Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMinutes(5));

    private static final String PAGE_VIEW = """
            {"event_id":"evt-1","event_type":"page_view","occurred_at":"2026-11-21T09:00:00Z","anonymous_id":"a-1",
             "page":{"url":"https://shop.example/home"}}""";
    private static final String PRODUCT_VIEW = """
            {"event_id":"evt-2","event_type":"product_view","occurred_at":"2026-11-21T09:00:00+02:00","user_id":"u-1",
             "product":{"sku":"SKU-1","name":"Mug","price":12.50,"currency":"EUR"}}""";
    private static final String ADD_TO_CART = """
            {"event_id":"evt-3","event_type":"add_to_cart","occurred_at":"2026-11-21T09:00:00Z","user_id":"u-1",
             "product":{"sku":"SKU-1"},"quantity":2}""";
    private static final String PURCHASE = """
            {"event_id":"evt-4","event_type":"purchase","occurred_at":"2026-11-21T09:00:00Z","user_id":"u-1",
             "order":{"order_id":"o-1","currency":"USD","total":25.00,
                      "items":[{"sku":"SKU-1","quantity":2,"unit_price":12.50},{"sku":"SKU-2","quantity":1,"unit_price":0}]}}""";

    @ParameterizedTest
    @ValueSource(strings = {PAGE_VIEW, PRODUCT_VIEW, ADD_TO_CART, PURCHASE})
    void validEventsOfEveryTypeHaveNoViolations(String event) {
        assertThat(validate(event)).isEmpty();
    }

    @Test
    void removeFromCartNeedsProductAndQuantity() {
        assertThat(validate(ADD_TO_CART.replace("add_to_cart", "remove_from_cart"))).isEmpty();
        assertThat(fields(ADD_TO_CART.replace("add_to_cart", "remove_from_cart")
                .replace("\"product\":{\"sku\":\"SKU-1\"},\"quantity\":2", "\"x\":1")))
                .containsExactly("product", "quantity");
    }

    @Test
    void unknownFieldsAreKeptNotRejected() {
        assertThat(validate(PAGE_VIEW.replace("}}", "},\"coupon\":\"X\",\"nested\":{\"a\":[1,2]}}"))).isEmpty();
    }

    @Test
    void requiredFieldsAreNamed() {
        assertThat(fields("{}")).containsExactly("event_id", "event_type", "occurred_at", "user_id");
    }

    @Test
    void eventIdMustBeShortAndOfTheAllowedCharacters() {
        assertThat(fields(PAGE_VIEW.replace("evt-1", "evt 1"))).containsExactly("event_id");
        assertThat(fields(PAGE_VIEW.replace("evt-1", "evt/1"))).containsExactly("event_id");
        assertThat(fields(PAGE_VIEW.replace("evt-1", "x".repeat(129)))).containsExactly("event_id");
        assertThat(validate(PAGE_VIEW.replace("evt-1", "A.b_c:d-9" + "x".repeat(119)))).isEmpty();
        assertThat(fields(PAGE_VIEW.replace("\"evt-1\"", "\"\""))).contains("event_id");
        assertThat(validate(PAGE_VIEW.replace("evt-1", "evt#1")))
                .containsExactly(new Violation("event_id", "must match [A-Za-z0-9._:-]+"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"evt@1", "evt[1", "evt`1", "evt{1", "evt;1", "evt,1", "\u00e9vt", "evt\u0131",
            "evt\\u00001"})
    void eventIdCharactersNextToTheAllowedRangesAndBeyondAsciiAreRefused(String id) {
        assertThat(fields(PAGE_VIEW.replace("evt-1", id))).containsExactly("event_id");
    }

    @Test
    void eventTypeMustBeKnown() {
        List<Violation> violations = validate(PAGE_VIEW.replace("page_view", "PageView"));
        assertThat(violations).extracting(Violation::field).containsExactly("event_type");
        assertThat(violations.get(0).message()).contains("page_view", "purchase");
    }

    @Test
    void occurredAtIsRfc3339WithOffsetAndNotTooFarAhead() {
        assertThat(fields(PAGE_VIEW.replace("2026-11-21T09:00:00Z", "2026-11-21T09:00:00"))).containsExactly(
                "occurred_at");
        assertThat(fields(PAGE_VIEW.replace("2026-11-21T09:00:00Z", "21/11/2026"))).containsExactly("occurred_at");
        assertThat(fields(PAGE_VIEW.replace("2026-11-21T09:00:00Z", "2026-02-30T09:00:00Z"))).containsExactly(
                "occurred_at");
        assertThat(validate(PAGE_VIEW.replace("2026-11-21T09:00:00Z", "2026-11-21T10:05:00Z"))).isEmpty();
        assertThat(validate(PAGE_VIEW.replace("2026-11-21T09:00:00Z", "2026-11-21 10:04:59.123456789+00:00")))
                .isEmpty();
        assertThat(fields(PAGE_VIEW.replace("2026-11-21T09:00:00Z", "2026-11-21T10:05:01Z"))).containsExactly(
                "occurred_at");
        assertThat(validate(PAGE_VIEW.replace("2026-11-21T09:00:00Z", "1999-01-01T00:00:00-05:00"))).isEmpty();
    }

    @Test
    void userOrAnonymousIdIsRequiredAndBounded() {
        assertThat(fields(PAGE_VIEW.replace("\"anonymous_id\":\"a-1\",", ""))).containsExactly("user_id");
        assertThat(fields(PAGE_VIEW.replace("\"a-1\"", "\"" + "a".repeat(129) + "\""))).containsExactly(
                "anonymous_id");
    }

    @Test
    void pageViewNeedsAnAbsoluteHttpUrl() {
        assertThat(fields(PAGE_VIEW.replace(",\n \"page\":{\"url\":\"https://shop.example/home\"}", "")))
                .containsExactly("page.url");
        for (String url : List.of("/home", "ftp://shop.example/", "javascript:alert(1)", "https://", "not a url")) {
            assertThat(fields(PAGE_VIEW.replace("https://shop.example/home", url))).as(url)
                    .containsExactly("page.url");
        }
    }

    @Test
    void productNeedsSkuAndPricesAreNonNegativeDecimalsInIsoCurrencies() {
        assertThat(fields(PRODUCT_VIEW.replace("\"sku\":\"SKU-1\",", ""))).containsExactly("product.sku");
        assertThat(fields(PRODUCT_VIEW.replace("12.50", "-0.01"))).containsExactly("product.price");
        assertThat(fields(PRODUCT_VIEW.replace("EUR", "EURO"))).containsExactly("product.currency");
        assertThat(fields(PRODUCT_VIEW.replace("EUR", "eur"))).containsExactly("product.currency");
        assertThat(fields(PRODUCT_VIEW.replace("EUR", "ABC"))).containsExactly("product.currency");
        assertThat(fields(PRODUCT_VIEW.replace("12.50", "\"cheap\""))).containsExactly("product.price");
        assertThat(validate(PRODUCT_VIEW.replace("12.50", "0.10000001"))).isEmpty();
        assertThat(fields(PRODUCT_VIEW.replace("12.50", "0.100000001"))).containsExactly("product.price");
    }

    @Test
    void cartQuantityIsAnIntegerFromOneToTenThousand() {
        assertThat(validate(ADD_TO_CART.replace("\"quantity\":2", "\"quantity\":10000"))).isEmpty();
        assertThat(fields(ADD_TO_CART.replace("\"quantity\":2", "\"quantity\":0"))).containsExactly("quantity");
        assertThat(fields(ADD_TO_CART.replace("\"quantity\":2", "\"quantity\":10001"))).containsExactly("quantity");
        assertThat(fields(ADD_TO_CART.replace("\"quantity\":2", "\"quantity\":2.5"))).containsExactly("quantity");
        assertThat(fields(ADD_TO_CART.replace("\"quantity\":2", "\"quantity\":99999999999999"))).containsExactly(
                "quantity");
        assertThat(fields(ADD_TO_CART.replace("\"quantity\":2", "\"quantity\":true"))).containsExactly("quantity");
    }

    @Test
    void purchaseLinesAreCheckedWithTheirIndexInThePath() {
        List<Violation> violations = validate(PURCHASE.replace("\"quantity\":1,", "\"quantity\":0,")
                .replace("\"unit_price\":12.50", "\"unit_price\":-1"));
        assertThat(violations).extracting(Violation::field)
                .containsExactly("order.items[0].unit_price", "order.items[1].quantity");
        assertThat(fields(PURCHASE.replace("\"sku\":\"SKU-2\",", ""))).containsExactly("order.items[1].sku");
        assertThat(fields(PURCHASE.replace("\"quantity\":2,", "\"quantity\":\"many\",")))
                .containsExactly("order.items[0].quantity");
    }

    @Test
    void purchaseNeedsAnOrderWithOneToFiveHundredLines() {
        assertThat(fields(PURCHASE.replace("\"order\":", "\"no_order\":"))).containsExactly("order");
        String noLines = PURCHASE.replaceAll("\"items\":\\[.*\\]", "\"items\":[]");
        assertThat(fields(noLines)).containsExactly("order.items");
        String line = "{\"sku\":\"S\",\"quantity\":1,\"unit_price\":1}";
        String many = PURCHASE.replaceAll("\"items\":\\[.*\\]", "\"items\":[" + (line + ",").repeat(500) + line + "]");
        assertThat(fields(many)).containsExactly("order.items");
        assertThat(fields(PURCHASE.replace("\"currency\":\"USD\",", ""))).containsExactly("order.currency");
        assertThat(fields(PURCHASE.replace("\"total\":25.00,", ""))).containsExactly("order.total");
        assertThat(fields(PURCHASE.replace("\"order_id\":\"o-1\",", ""))).containsExactly("order.order_id");
    }

    @Test
    void stringFieldsGivenNumbersOrBooleansAreTheWrongType() {
        assertThat(fields(PAGE_VIEW.replace("\"evt-1\"", "123"))).containsExactly("event_id");
        assertThat(fields(PAGE_VIEW.replace("\"a-1\"", "true"))).containsExactly("anonymous_id");
        assertThat(fields(PAGE_VIEW.replace("\"page_view\"", "1.5"))).containsExactly("event_type");
        assertThat(validate(PAGE_VIEW.replace("\"evt-1\"", "123")).get(0).message()).contains("a string");
    }

    @Test
    void objectsGivenScalarsAreTheWrongType() {
        assertThat(fields(PAGE_VIEW.replace("{\"url\":\"https://shop.example/home\"}", "\"home\""))).containsExactly(
                "page");
        assertThat(fields(PAGE_VIEW.replace("}}", "},\"properties\":[1]}"))).containsExactly("properties");
        assertThat(fields(PAGE_VIEW.replace("}}", "},\"context\":\"ctx\"}"))).containsExactly("context");
        assertThat(fields(PURCHASE.replaceAll("\"items\":\\[.*\\]", "\"items\":{\"sku\":\"S\"}")))
                .containsExactly("order.items");
    }

    @Test
    void nullsAreMissingValues() {
        assertThat(fields(PAGE_VIEW.replace("\"evt-1\"", "null"))).containsExactly("event_id");
        assertThat(fields(PURCHASE.replaceAll("\"items\":\\[.*\\]", "\"items\":[null]")))
                .containsExactly("order.items[0]");
    }

    @Test
    void schemaVersionIsAPositiveInteger() {
        assertThat(validate(PAGE_VIEW.replace("}}", "},\"schema_version\":2}"))).isEmpty();
        assertThat(fields(PAGE_VIEW.replace("}}", "},\"schema_version\":0}"))).containsExactly("schema_version");
    }

    private static List<String> fields(String json) {
        return validate(json).stream().map(Violation::field).toList();
    }

    private static List<Violation> validate(String json) {
        try {
            return VALIDATOR.validate((ObjectNode) MAPPER.readTree(json));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
