package io.github.vit4j.cli;

import io.github.vit4j.explain.IntegratedGradients;
import picocli.CommandLine.Option;

/**
 * The options of {@code vit explain} that choose its maps — the class explained, and the settings of integrated
 * gradients and SmoothGrad — shared with the commands that rank those maps ({@code vit faithfulness}), so that the
 * same flags give the same maps.
 */
final class MapSettingsOptions {

    @Option(names = "--label", paramLabel = "L", defaultValue = "true",
            description = "The class y explained: true (the images' labels) | clean-top1 (the model's top class) | K "
                    + "(class K for every image) (default: ${DEFAULT-VALUE}).")
    String label;


    @Option(names = "--ig-steps", paramLabel = "K", defaultValue = "" + IntegratedGradients.DEFAULT_STEPS,
            description = "Integrated gradients: Gauss–Legendre points on the path from black (default: "
                    + "${DEFAULT-VALUE}; vit explain's figures and report give each map's completeness, Captum's "
                    + "convergence delta, and name a map more than 1% off).")
    int igSteps;

    @Option(names = "--smoothgrad-samples", paramLabel = "N", defaultValue = "50",
            description = "SmoothGrad: noisy copies per image, σ = 15% of its range (default: ${DEFAULT-VALUE}).")
    int samples;

    /** The methods' settings with these and the command's other values, checking these are positive. */
    ExplainMethod.Settings settings(double epsilon, int pgdSteps, long seed, int batch) {
        ImagesOption.positive("--ig-steps", igSteps);
        ImagesOption.positive("--smoothgrad-samples", samples);
        return new ExplainMethod.Settings(igSteps, samples, epsilon, pgdSteps, seed, batch);
    }
}
