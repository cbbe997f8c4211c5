package io.sluice.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.sluice.config.QualityConfig;

/** The configuration of expectations as SmallRye maps it, and the start-up validation's messages. */
class ExpectationsTest {

    private static QualityConfig config(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(QualityConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter()) // Quarkus's "30s" form
                .withSources(new PropertiesConfigSource(properties, "test", 100)).build();
        return config.getConfigMapping(QualityConfig.class);
    }

    private static Map<String, String> expectation(String name, String... keyValues) {
        Map<String, String> properties = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.put("sluice.quality.expectations." + name + "." + keyValues[i], keyValues[i + 1]);
        }
        return properties;
    }

    @Test
    void everyKindIsReadWithItsKeys() {
        Map<String, String> p = new HashMap<>();
        p.putAll(expectation("ids", "kind", "unique", "field", "event_id"));
        p.putAll(expectation("users", "kind", "not-null", "field", "user_id", "event-types", "purchase,add_to_cart",
                "max-ratio", "0.25", "min-rows", "50"));
        p.putAll(expectation("currencies", "kind", "accepted-values", "field", "order.currency", "values", "EUR,USD"));
        p.putAll(expectation("prices", "kind", "range", "field", "product.price", "min", "0", "max", "10000"));
        p.putAll(expectation("acme-fresh", "kind", "freshness", "sources", "acme", "max-age", "15m"));
        p.putAll(expectation("acme-volume", "kind", "volume", "sources", "acme", "factor", "4", "min-baseline", "100"));

        List<Expectation> all = Expectations.parse(config(p), Set.of());

        assertThat(all).extracting(Expectation::name)
                .containsExactly("acme-fresh", "acme-volume", "currencies", "ids", "prices", "users");
        Expectation users = all.get(5);
        assertThat(users.kind()).isEqualTo(Kind.NOT_NULL);
        assertThat(users.eventTypes()).containsExactlyInAnyOrder("purchase", "add_to_cart");
        assertThat(users.maxRatio()).isEqualTo(0.25);
        assertThat(users.minRows()).isEqualTo(50);
        assertThat(all.get(0).maxAge()).contains(Duration.ofMinutes(15));
        assertThat(all.get(0).sources()).containsExactly("acme");
        assertThat(all.get(1).factor()).isEqualTo(4.0);
        assertThat(all.get(2).values()).containsExactlyInAnyOrder("EUR", "USD");
        assertThat(all.get(3).field().orElseThrow().uniqueColumn()).contains("event_id");
    }

    @Test
    void defaultFreshnessGivesEveryConfiguredSourceOneAndAConfiguredOneWins() {
        Map<String, String> p = new HashMap<>();
        p.put("sluice.quality.default-freshness", "2h");
        p.putAll(expectation("freshness-acme", "kind", "freshness", "sources", "acme", "max-age", "10m"));

        List<Expectation> all = Expectations.parse(config(p), Set.of("acme", "Partner_B"));

        assertThat(all).extracting(Expectation::name).containsExactly("freshness-acme", "freshness-partner-b");
        assertThat(all.get(0).maxAge()).contains(Duration.ofMinutes(10));
        assertThat(all.get(1).maxAge()).contains(Duration.ofHours(2));
        assertThat(all.get(1).sources()).containsExactly("Partner_B");
    }

    @Test
    void aDisabledExpectationIsLeftOut() {
        Map<String, String> p = expectation("ids", "kind", "unique", "field", "event_id", "enabled", "false");

        assertThat(Expectations.parse(config(p), Set.of())).isEmpty();
    }

    @Test
    void everyProblemIsNamedWithItsKey() {
        Map<String, String> p = new HashMap<>();
        p.putAll(expectation("a", "kind", "sometimes"));
        p.putAll(expectation("b", "kind", "not-null"));
        p.putAll(expectation("c", "kind", "not-null", "field", "user.name"));
        p.putAll(expectation("d", "kind", "unique", "field", "page.url"));
        p.putAll(expectation("e", "kind", "range", "field", "quantity"));
        p.putAll(expectation("f", "kind", "range", "field", "quantity", "min", "5", "max", "1"));
        p.putAll(expectation("g", "kind", "accepted-values", "field", "order.currency"));
        p.putAll(expectation("h", "kind", "freshness", "sources", "acme"));
        p.putAll(expectation("i", "kind", "volume", "factor", "0.5"));
        p.putAll(expectation("j", "kind", "not-null", "field", "user_id", "max-ratio", "1.5"));
        p.putAll(expectation("Bad_Name", "kind", "unique", "field", "event_id"));
        p.putAll(expectation("k", "kind", "freshness", "max-age", "1h", "field", "user_id"));

        assertThatThrownBy(() -> Expectations.parse(config(p), Set.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid data-quality expectations: ")
                .hasMessageContaining("sluice.quality.expectations.a.kind is 'sometimes'; one of not-null, unique")
                .hasMessageContaining("sluice.quality.expectations.b.field is required for not-null")
                .hasMessageContaining("sluice.quality.expectations.c.field 'user.name' is not a known field path")
                .hasMessageContaining("sluice.quality.expectations.d.field 'page.url' has no index in silver.events")
                .hasMessageContaining("sluice.quality.expectations.e.min or max is required for range")
                .hasMessageContaining("sluice.quality.expectations.f.min 5 is above max 1")
                .hasMessageContaining("sluice.quality.expectations.g.values is required for accepted-values")
                .hasMessageContaining(
                        "sluice.quality.expectations.h.max-age (a positive duration such as 1h) is required")
                .hasMessageContaining("sluice.quality.expectations.i.factor must be above 1, not 0.5")
                .hasMessageContaining("sluice.quality.expectations.j.max-ratio must be between 0 and 1, not 1.5")
                .hasMessageContaining("expectation name 'Bad_Name' must be lowercase letters, digits and dashes")
                .hasMessageContaining("sluice.quality.expectations.k.field does not apply to freshness");
    }

    @Test
    void aMissingKindIsRefusedBySmallRyeWithTheKey() {
        Map<String, String> p = expectation("nokind", "field", "user_id");

        assertThatThrownBy(() -> config(p))
                .hasMessageContaining("sluice.quality.expectations.nokind.kind");
    }
}
