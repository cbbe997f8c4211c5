package io.sluice.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.sluice.deploy.Manifests.Doc;

/**
 * Every manifest in deploy/ loads with fabric8's Kubernetes model without a field the model does not know, and the
 * manifests agree with each other and with Sluice: probe paths and ports, selectors and labels, kustomization
 * references, the Kafka group and topic, placeholder-only secrets.
 */
class DeployManifestsTest {

    private static final Path BASE = Manifests.DEPLOY.resolve("base");
    private static final List<Path> OVERLAYS = List.of(Manifests.DEPLOY.resolve("overlays/dev"),
            Manifests.DEPLOY.resolve("overlays/prod"));

    @Test
    void everyManifestLoadsWithoutUnknownFields() {
        List<String> problems = new ArrayList<>();
        for (Path file : Manifests.yamlFiles()) {
            if (Manifests.isKustomization(file)) {
                continue;
            }
            List<Doc> docs = Manifests.docs(file);
            assertThat(docs).as(file.toString()).isNotEmpty();
            for (Doc doc : docs) {
                assertThat(doc.tree().path("apiVersion").asText()).as(file + " apiVersion").isNotBlank();
                assertThat(doc.name()).as(file + " metadata.name").isNotBlank();
                if (doc.core()) {
                    Manifests.unknownFields(doc.object()).forEach(f -> problems.add(file + ": " + f));
                }
            }
        }
        assertThat(problems).as("fields the Kubernetes model does not know").isEmpty();
    }

    @Test
    void theUnknownFieldCheckCatchesATypo() throws IOException {
        JsonNode tree = Manifests.YAML.readTree("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  template:
                    spec:
                      containers:
                        - name: x
                          readinesProbe: {httpGet: {path: /q/health/ready, port: http}}
                """);
        assertThat(Manifests.unknownFields(Manifests.YAML.treeToValue(tree, Deployment.class)))
                .singleElement().asString().endsWith("containers[0].readinesProbe");
    }

    @Test
    void kustomizationsReferenceOnlyFilesThatExistAndEveryManifestIsUsed() {
        Set<Path> used = new HashSet<>();
        for (Path file : Manifests.yamlFiles()) {
            if (!Manifests.isKustomization(file)) {
                continue;
            }
            Path dir = file.getParent();
            JsonNode kustomization = Manifests.trees(file).get(0);
            List<String> refs = new ArrayList<>();
            kustomization.path("resources").forEach(r -> refs.add(r.asText()));
            kustomization.path("patches").forEach(p -> refs.add(p.path("path").asText()));
            kustomization.path("configMapGenerator").forEach(g -> g.path("files").forEach(f -> refs.add(f.asText())));
            for (String ref : refs) {
                Path target = dir.resolve(ref).normalize();
                assertThat(target).as(file + " -> " + ref).exists();
                if (Files.isDirectory(target)) {
                    assertThat(target.resolve("kustomization.yaml")).as(file + " -> " + ref).exists();
                }
                used.add(target);
            }
        }
        for (Path file : Manifests.yamlFiles()) {
            if (!Manifests.isKustomization(file)) {
                assertThat(used).as("a kustomization uses " + file).contains(file);
            }
        }
    }

    @Test
    void patchesOfTheOverlaysTargetObjectsOfTheBase() {
        Set<String> base = new HashSet<>();
        Manifests.build(BASE).forEach(doc -> base.add(doc.kind() + "/" + doc.name()));
        for (Path overlay : OVERLAYS) {
            JsonNode kustomization = Manifests.trees(overlay.resolve("kustomization.yaml")).get(0);
            kustomization.path("patches").forEach(patch -> Manifests.docs(overlay.resolve(patch.path("path").asText()))
                    .forEach(doc -> assertThat(base).as(overlay + ": patch " + doc.file().getFileName())
                            .contains(doc.kind() + "/" + doc.name())));
        }
    }

    @Test
    void probesPortsAndSelectorsMatchSluiceAndEachOther() throws IOException {
        List<Doc> docs = Manifests.build(BASE);
        Deployment deployment = one(docs, Deployment.class);
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());

        Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        int httpPort = Integer.parseInt(application().getProperty("quarkus.http.port"));
        assertThat(probePath(container.getLivenessProbe())).isEqualTo("/q/health/live");
        assertThat(probePath(container.getReadinessProbe())).isEqualTo("/q/health/ready");
        assertThat(probePath(container.getStartupProbe())).isEqualTo("/q/health/started");
        for (Probe probe : List.of(container.getLivenessProbe(), container.getReadinessProbe(),
                container.getStartupProbe())) {
            assertThat(containerPort(container, probe.getHttpGet().getPort().getStrVal())).isEqualTo(httpPort);
        }
        assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(container.getResources().getLimits()).containsKey("memory");
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(deployment.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(deployment.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser()).isNotZero();

        Service service = one(docs, Service.class);
        assertThat(podLabels).containsAllEntriesOf(service.getSpec().getSelector());
        assertThat(containerPort(container, service.getSpec().getPorts().get(0).getTargetPort().getStrVal()))
                .isEqualTo(httpPort);
        assertThat(podLabels).containsAllEntriesOf(
                one(docs, PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels());
        NetworkPolicy policy = one(docs, NetworkPolicy.class);
        assertThat(podLabels).containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
        policy.getSpec().getIngress().forEach(rule -> rule.getPorts().forEach(
                port -> assertThat(containerPort(container, port.getPort().getStrVal())).isEqualTo(httpPort)));

        Set<String> configMaps = names(docs, "ConfigMap");
        Set<String> secrets = names(docs, "Secret");
        container.getEnvFrom().forEach(from -> {
            if (from.getConfigMapRef() != null) {
                assertThat(configMaps).contains(from.getConfigMapRef().getName());
            }
            if (from.getSecretRef() != null) {
                assertThat(secrets).contains(from.getSecretRef().getName());
            }
        });
        assertThat(names(docs, "ServiceAccount"))
                .contains(deployment.getSpec().getTemplate().getSpec().getServiceAccountName());
    }

    @Test
    void serviceMonitorScrapesTheServicesMetricsPort() {
        List<Doc> docs = Manifests.build(BASE);
        Service service = one(docs, Service.class);
        JsonNode monitor = tree(docs, "ServiceMonitor");
        monitor.path("spec").path("selector").path("matchLabels").fields().forEachRemaining(
                label -> assertThat(service.getMetadata().getLabels()).containsEntry(label.getKey(),
                        label.getValue().asText()));
        JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
        assertThat(endpoint.path("path").asText()).isEqualTo("/q/metrics");
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getName()).contains(endpoint.path("port").asText());
    }

    @Test
    void scaledObjectFollowsTheConsumerGroupAndTopicPartitions() throws IOException {
        Properties application = application();
        List<Doc> docs = Manifests.build(BASE);
        Deployment deployment = one(docs, Deployment.class);
        ConfigMap config = docs.stream().filter(d -> d.object() instanceof ConfigMap c
                && c.getMetadata().getName().equals("sluice-config")).map(d -> (ConfigMap) d.object()).findFirst()
                .orElseThrow();
        JsonNode scaled = tree(docs, "ScaledObject").path("spec");
        assertThat(scaled.path("scaleTargetRef").path("name").asText()).isEqualTo(deployment.getMetadata().getName());
        JsonNode kafka = scaled.path("triggers").get(0);
        assertThat(kafka.path("type").asText()).isEqualTo("kafka");
        assertThat(kafka.path("metadata").path("consumerGroup").asText())
                .isEqualTo(application.getProperty("mp.messaging.incoming.events.group.id"));
        assertThat(kafka.path("metadata").path("topic").asText()).isEqualTo(config.getData().get("SLUICE_KAFKA_TOPICS"))
                .isEqualTo(defaultOf(application.getProperty("mp.messaging.incoming.events.topics")));
        assertThat(kafka.path("metadata").path("bootstrapServers").asText())
                .isEqualTo(config.getData().get("SLUICE_KAFKA_HOST") + ":" + config.getData().get("SLUICE_KAFKA_PORT"));

        int partitions = Manifests.docs(Manifests.DEPLOY.resolve("examples/kafka-topics.yaml")).stream()
                .filter(d -> d.name().equals(kafka.path("metadata").path("topic").asText()))
                .mapToInt(d -> d.tree().path("spec").path("partitions").asInt()).findFirst().orElseThrow();
        assertThat(scaled.path("maxReplicaCount").asInt()).isLessThanOrEqualTo(partitions);
        for (Path overlay : OVERLAYS) {
            Manifests.docs(overlay.resolve("scaledobject-patch.yaml")).forEach(patch -> assertThat(
                    patch.tree().path("spec").path("maxReplicaCount").asInt()).as(overlay.toString())
                    .isLessThanOrEqualTo(partitions));
        }
    }

    @Test
    void secretsHoldPlaceholdersOnly() {
        for (Path file : Manifests.yamlFiles()) {
            if (Manifests.isKustomization(file)) {
                continue;
            }
            for (Doc doc : Manifests.docs(file)) {
                if (doc.object() instanceof Secret secret) {
                    assertThat(secret.getData()).as(file + " data").isNullOrEmpty();
                    assertThat(secret.getStringData()).as(file.toString()).isNotEmpty();
                    secret.getStringData().forEach((key, value) -> assertThat(value).as(file + " " + key)
                            .isEqualTo("REPLACE_ME"));
                }
            }
        }
    }

    @Test
    void alertsAreCompleteAndPointAtTheRunbook() throws IOException {
        JsonNode rules = tree(Manifests.build(BASE), "PrometheusRule").path("spec").path("groups");
        Set<String> alerts = new HashSet<>();
        String readme = Files.readString(Path.of("README.md"));
        rules.forEach(group -> group.path("rules").forEach(rule -> {
            String alert = rule.path("alert").asText();
            alerts.add(alert);
            assertThat(rule.path("expr").asText()).as(alert).isNotBlank();
            assertThat(rule.path("labels").path("severity").asText()).as(alert).isIn("page", "ticket");
            assertThat(rule.path("annotations").path("summary").asText()).as(alert).isNotBlank();
            assertThat(rule.path("annotations").path("runbook_url").asText()).as(alert)
                    .endsWith("#" + alert.toLowerCase());
            assertThat(readme).as("README runbook has a section for " + alert).contains("#### " + alert);
        }));
        assertThat(alerts).contains("SluicePromotionLagHigh", "SluiceKafkaDeadLetters", "SluiceRejectRatioHigh",
                "SluiceNotReady", "SluiceQuarantineGrowing");
    }

    @Test
    void theDashboardIsValidGrafanaJson() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(BASE.resolve("dashboards/sluice.json").toFile());
        assertThat(dashboard.path("title").asText()).isEqualTo("Sluice");
        assertThat(dashboard.path("panels")).isNotEmpty();
        dashboard.path("panels").forEach(panel -> assertThat(panel.path("targets")).as(panel.path("title").asText())
                .isNotEmpty());
    }

    /** Every sluice_* series name that alerts and the dashboard use. */
    static Set<String> meterNamesUsed() throws IOException {
        Pattern meter = Pattern.compile("\\bsluice_[a-z0-9_]+");
        Set<String> names = new HashSet<>();
        List<String> texts = new ArrayList<>();
        Manifests.build(BASE).stream().filter(d -> d.kind().equals("PrometheusRule"))
                .forEach(d -> d.tree().path("spec").path("groups").forEach(g -> g.path("rules")
                        .forEach(r -> texts.add(r.path("expr").asText()))));
        new ObjectMapper().readTree(BASE.resolve("dashboards/sluice.json").toFile()).path("panels")
                .forEach(p -> p.path("targets").forEach(t -> texts.add(t.path("expr").asText())));
        for (String text : texts) {
            Matcher matcher = meter.matcher(text);
            while (matcher.find()) {
                names.add(matcher.group());
            }
        }
        return names;
    }

    private static Properties application() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("src/main/resources/application.properties"))) {
            properties.load(in);
        }
        return properties;
    }

    /** {@code ${VAR:default}} -> {@code default}; a plain value as is. */
    private static String defaultOf(String value) {
        Matcher matcher = Pattern.compile("^\\$\\{[^:}]+:([^}]*)}$").matcher(value);
        return matcher.matches() ? matcher.group(1) : value;
    }

    private static String probePath(Probe probe) {
        return probe.getHttpGet().getPath();
    }

    private static int containerPort(Container container, String name) {
        return container.getPorts().stream().filter(p -> name.equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + name));
    }

    private static <T> T one(List<Doc> docs, Class<T> type) {
        List<T> found = docs.stream().map(Doc::object).filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as(type.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    private static JsonNode tree(List<Doc> docs, String kind) {
        List<JsonNode> found = docs.stream().filter(d -> d.kind().equals(kind)).map(Doc::tree).toList();
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    private static Set<String> names(List<Doc> docs, String kind) {
        Set<String> names = new HashSet<>();
        docs.stream().filter(d -> d.kind().equals(kind)).forEach(d -> names.add(d.name()));
        return names;
    }
}
