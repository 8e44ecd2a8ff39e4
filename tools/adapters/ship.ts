/**
 * Writes a distilled variant to a weights folder with what must travel with it: the model's
 * licence, and (the shipped weights being derived from them) the credits and licence texts of
 * the training clips, as shared/videos/train/SOURCE.md asks.
 */
import { join } from 'node:path';
import { VIDEOS_DIR } from '../reference/reference-fixture';
import { DENSE_DIR, type VariantResult } from './variant-run';
import { writeVariant } from './variant-weights';

/** Where the distillation clips come from (shared/videos/train/SOURCE.md), for TRAINING-DATA.txt. */
export const TRAINING_DATA_CREDITS = `These weights were derived (channel pruning, then distillation from the dense model) using
frames of six unlabelled clips from public GitHub repositories, as listed in
shared/videos/train/SOURCE.md of the project's data:

- applying_eye_makeup.mp4: open-mmlab/mmaction2 tests/data/test.avi (transcoded), Apache-2.0,
  Copyright 2018-2019 Open-MMLab. All rights reserved.
- flipping_pancake.mp4: dmlc/decord examples/flipping_a_pancake.mkv (remuxed), Apache-2.0.
- making_cake.mp4: OpenGVLab/Ask-Anything video_chat_text/video_chat_with_ChatGPT/images/making_cake.mp4,
  MIT, Copyright (c) 2023 OpenGVLab (LICENSE-MIT-Ask-Anything.txt).
- playing_drums.mp4: PKU-YuanGroup/Video-LLaVA videollava/serve/examples/sample_demo_22.mp4, Apache-2.0.
- playing_with_dog_in_snow.mp4: OpenGVLab/InternVideo Data/InternVid/example1.mp4 (transcoded),
  Apache-2.0, Copyright (c) OpenGVLab. All rights reserved.
- riding_motorcycle.mp4: Sense-X/UniFormer object_detection/demo/demo.mp4, Apache-2.0,
  Copyright 2022 SenseTime X-Lab. All rights reserved.

The clips themselves are not shipped. The Apache License 2.0 text is in LICENSE-Apache-2.0.txt.
The held-out evaluation clips (archery, opening_screen_door, yoga_outdoors, arm_wrestling,
shooting_basketball) were not trained on.
`;

/** Writes `result` to `dir` (shards, manifest, labels, licences, credits). */
export async function writeShipped(
  dir: string,
  result: VariantResult,
  labels: readonly string[],
): Promise<void> {
  const info = result.row;
  const how =
    info.adapter === 'splora'
      ? `recovered with SPLoRA structured pruning adapters of rank ${info.rank} (Hedegaard et al., 2023), fused into the weights`
      : info.adapter === 'finetune'
        ? 'recovered by fine-tuning the remaining weights of the pruned layers'
        : 'without recovery training';
  const description =
    `Derived from this project's movinet-a0-stream weights (TensorFlow Hub model movinet/a0/stream/kinetics-600/classification/tflite/int8/1, dequantized; see its manifest) ` +
    `by tools/adapters: ${Math.round(info.prune * 100)} % of each bottleneck's inner channels removed (criterion ${info.criterion}), ${how}, ` +
    `by distillation from the dense model in float mode on augmented frames of six clips credited in TRAINING-DATA.txt. Stored as float16.`;
  const train = join(VIDEOS_DIR, 'train');
  await writeVariant(
    dir,
    info.id,
    result.spec,
    result.config,
    result.tensors,
    labels,
    description,
    {
      modelLicence: join(DENSE_DIR, 'LICENSE'),
      dataLicences: [
        join(train, 'LICENSE-Apache-2.0.txt'),
        join(train, 'LICENSE-MIT-Ask-Anything.txt'),
      ],
      dataCredits: TRAINING_DATA_CREDITS,
    },
  );
}
