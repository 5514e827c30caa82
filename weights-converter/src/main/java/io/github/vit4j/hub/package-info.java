/**
 * Models from the Hugging Face Hub: {@code hf:org/name[@revision]} resolved to a local snapshot folder, downloaded
 * with the Hub's protocol as {@code huggingface_hub} speaks it into {@code huggingface_hub}'s own cache layout, so
 * that Python and vit4j share downloads both ways. Entry points: {@link io.github.vit4j.hub.HubModel} (the spec),
 * {@link io.github.vit4j.hub.HubSettings} (endpoint, cache, token, offline; from the environment by default) and
 * {@link io.github.vit4j.hub.Hub} (the download). {@link io.github.vit4j.convert.ModelLoader#load(String)} takes an
 * {@code hf:} spec wherever it takes a path.
 */
package io.github.vit4j.hub;
