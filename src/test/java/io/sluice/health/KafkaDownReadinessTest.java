package io.sluice.health;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.empty;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Meters;
import io.sluice.support.Signer;

/**
 * With no Kafka broker reachable (for this instance only), readiness stays UP and webhooks are answered 202 and land
 * (SPEC I6): the broker's state is DOWN in the health group {@code kafka} and in {@code sluice_kafka_up}. Before
 * issue 10 SmallRye Reactive Messaging's readiness check answered 503 here.
 */
@QuarkusTest
@TestProfile(KafkaDownProfile.class)
class KafkaDownReadinessTest {

    @Test
    void readinessStaysUpWhileTheKafkaGroupIsDown() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            given().when().get("/q/health/group/kafka").then().statusCode(503)
                    .body("status", equalTo("DOWN"))
                    .body("checks.findAll { it.status == 'DOWN' }.name", hasItem(KafkaHealthCheck.NAME));
            assertThat(Meters.sum(Meters.scrape(), "sluice_kafka_up")).isZero();
        });
        // several rounds of the connector's own checks: readiness never goes DOWN for the broker
        await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().when()
                .get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.findAll { it.status == 'DOWN' }", empty()));

        String id = Events.freshId();
        Signer.post(Events.pageView(id)).then().statusCode(202);
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", id)).isEqualTo(1);
    }
}
