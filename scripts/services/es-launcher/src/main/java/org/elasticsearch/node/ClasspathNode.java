package org.elasticsearch.node;

import java.util.List;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsService;

/**
 * Builds a Node whose plugins come from the classpath. Node(NodeConstruction) is package-private,
 * hence this package.
 */
public final class ClasspathNode {
    private ClasspathNode() {}

    public static Node create(Environment env, List<Class<? extends Plugin>> plugins) {
        NodeServiceProvider provider = new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment environment, Settings settings) {
                return new ClasspathPluginsService(settings, environment.configFile(), plugins);
            }
        };
        return new Node(NodeConstruction.prepareConstruction(env, provider, true));
    }
}
