/**
 * The paper's released PredNet weights (coxlab/prednet, MIT licence, Copyright 2017 coxlab):
 * model_data_keras2.zip as download_models.sh fetches it, the files PredLab uses from it with
 * their git blob SHA-1s (as `git hash-object` computes them), and the three checkpoints made
 * from them. The Theano copies in the archive are not used (flipped kernels).
 */

export interface ReleaseCheckpoint {
  /** Folder name of the checkpoint inside the download folder. */
  id: string;
  label: string;
  /** Paths inside the release (below model_data_keras2/). */
  weights: string;
  modelJson: string;
  about: string;
}

export interface Release {
  id: string;
  title: string;
  url: string;
  /** The top folder of the archive's entries (download_models.sh moves its contents up). */
  archiveRoot: string;
  /** git blob SHA-1 of every file used, by path inside the release. */
  files: Readonly<Record<string, string>>;
  checkpoints: readonly ReleaseCheckpoint[];
  /** Stated limits: the archive, any one file in it, and the files used together (declared sizes, checked before extracting and counted while extracting). */
  maxArchiveBytes: number;
  maxFileBytes: number;
  maxExtractBytes: number;
  credit: string;
}

export const KITTI_RELEASE: Release = {
  id: 'kitti',
  title: "PredNet trained on KITTI (Lotter, Kreiman & Cox), the paper's released weights",
  // download_models.sh's link, asking for the file itself (dl=1) rather than Dropbox's preview page (dl=0).
  url: 'https://www.dropbox.com/s/iutxm0anhxqca0z/model_data_keras2.zip?dl=1',
  archiveRoot: 'model_data_keras2',
  files: {
    'tensorflow_weights/prednet_kitti_weights.hdf5': '777ad23a53c104ccc645c6bff6db4fb582d27ba3',
    'tensorflow_weights/prednet_kitti_weights-extrapfinetuned.hdf5': '7ab81b956f3ab0579affb033e11fcd265fb9e520',
    'tensorflow_weights/prednet_kitti_weights-Lall.hdf5': 'f94f7791e1f7f2d1995b081825fa5691173b2cb5',
    'prednet_kitti_model.json': '5544c2ef4a2c84239adbece6cd290a612443d713',
    'prednet_kitti_model-extrapfinetuned.json': 'bd0a0fdaae44645029ee1dec56c64b3c35a2fe9f',
  },
  checkpoints: [
    { id: 'prednet_kitti', label: 'PredNet KITTI (paper, L0)', weights: 'tensorflow_weights/prednet_kitti_weights.hdf5', modelJson: 'prednet_kitti_model.json', about: 'next-frame prediction, loss on the pixel layer (L0): the model of kitti_evaluate.py' },
    {
      id: 'prednet_kitti-extrapfinetuned',
      label: 'PredNet KITTI (paper, extrapolation-finetuned)',
      weights: 'tensorflow_weights/prednet_kitti_weights-extrapfinetuned.hdf5',
      modelJson: 'prednet_kitti_model-extrapfinetuned.json',
      about: 'fine-tuned to extrapolate: from step 10 of 15 it feeds its own predictions back',
    },
    { id: 'prednet_kitti-Lall', label: 'PredNet KITTI (paper, L_all)', weights: 'tensorflow_weights/prednet_kitti_weights-Lall.hdf5', modelJson: 'prednet_kitti_model.json', about: 'loss on every layer (1, 0.1, 0.1, 0.1)' },
  ],
  maxArchiveBytes: 4 * 2 ** 30,
  maxFileBytes: 2 ** 30,
  // The five files used are about 85 MB (three 6.9-million-value float32 weight files and two JSONs).
  maxExtractBytes: 512 * 2 ** 20,
  credit: 'coxlab/prednet (MIT licence, Copyright 2017 coxlab); W. Lotter, G. Kreiman, D. Cox, ICLR 2017 and Nature Machine Intelligence 2020',
};

export const RELEASES: ReadonlyMap<string, Release> = new Map([[KITTI_RELEASE.id, KITTI_RELEASE]]);

/** How to get and import the release by hand (for offline machines). */
export function manualSteps(r: Release, url: string): string {
  const c = r.checkpoints[0]!;
  return [
    `To get it by hand: on a machine with internet access download ${url}`,
    `(model_data_keras2.zip, the file coxlab/prednet's download_models.sh fetches), copy it here, then run`,
    `  predlab model download ${r.id} --from model_data_keras2.zip     (the zip, or the folder it unpacks to)`,
    `or import one model yourself:`,
    `  predlab model import-keras ${r.archiveRoot}/${c.weights} --model-json ${r.archiveRoot}/${c.modelJson} --out models/${c.id}`,
  ].join('\n');
}
