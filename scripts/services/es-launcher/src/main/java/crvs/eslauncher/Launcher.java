package crvs.eslauncher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.ClasspathNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/**
 * Runs one real single-node Elasticsearch on loopback, for tests and local development.
 * Usage: Launcher <home> <data> <logs> <repo> <httpPort> <transportPort>
 * Stops cleanly on SIGTERM (the shutdown hook closes the node).
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (Throwable t) {
            // Threads started before the failure would keep the JVM alive without a working node.
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: Launcher <home> <data> <logs> <repo> <httpPort> <transportPort>");
            System.exit(2);
        }
        Path home = Path.of(args[0]);
        Files.createDirectories(home.resolve("config"));
        for (int i = 1; i <= 3; i++) Files.createDirectories(Path.of(args[i]));
        Settings settings = Settings.builder()
            .put("cluster.name", "crvs-local")
            .put("node.name", "crvs-local-node")
            .put("path.home", args[0])
            .put("path.data", args[1])
            .put("path.logs", args[2])
            .put("path.repo", args[3])
            .put("network.host", "127.0.0.1")
            .put("http.port", args[4])
            .put("transport.port", args[5])
            .put("discovery.type", "single-node")
            // A shared developer disk may be fuller than the default watermarks allow.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // Test fingerprints page through documents sorted by _id, which 8.x refuses by default.
            .put("indices.id_field_data.enabled", true)
            .build();
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings);
        LogConfigurator.configureESLogging();
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), home.resolve("config"), () -> "crvs-local-node");
        Node node = ClasspathNode.create(env, List.of(Netty4Plugin.class, RootInfoPlugin.class));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("close failed: " + e);
            } finally {
                stopped.countDown();
            }
        }, "crvs-es-shutdown"));
        node.start();
        System.out.println("crvs-es-launcher: started http 127.0.0.1:" + args[4]);
        stopped.await();
    }
}
