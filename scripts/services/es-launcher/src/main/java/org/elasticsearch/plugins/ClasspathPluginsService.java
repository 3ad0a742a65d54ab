package org.elasticsearch.plugins;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.jdk.ModuleQualifiedExportsService;

/**
 * A plugin service that loads plugins from the classpath instead of a modules/ folder. It lives in
 * Elasticsearch's package because LoadedPlugin's constructor is package-private; the launcher runs
 * on the classpath (not the module path), so the split package is allowed.
 */
public class ClasspathPluginsService extends PluginsService {
    private final List<LoadedPlugin> classpathPlugins;

    public ClasspathPluginsService(Settings settings, Path configPath, List<Class<? extends Plugin>> classes) {
        super(settings, configPath, null, null);
        List<LoadedPlugin> loaded = new ArrayList<>();
        for (Class<? extends Plugin> c : classes) {
            PluginDescriptor descriptor = new PluginDescriptor(
                c.getName(), "classpath plugin", "NA", "NA", "17", c.getName(), null, List.of(), false, false, false, false);
            loaded.add(new LoadedPlugin(descriptor, PluginsService.loadPlugin(c, settings, configPath)));
        }
        this.classpathPlugins = List.copyOf(loaded);
    }

    /** On the classpath the server is an unnamed module: there are no qualified exports to wire. */
    @Override
    protected void addServerExportsService(Map<String, List<ModuleQualifiedExportsService>> qualifiedExports) {}

    @Override
    protected List<LoadedPlugin> plugins() {
        return classpathPlugins;
    }
}
