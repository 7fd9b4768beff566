/**
 * The natural-video recipe (issue 22): the default model's architecture (recipe.ts) from fresh
 * weights, trained on camera motion over free photographs from the Debian archive
 * (native-models/training/natural.ts) mixed with the procedural generator, three instances that
 * differ only in their seeds. Every photograph used is listed here with its package, licence,
 * author and SHA-256, and its role: `train` (backgrounds and cut-outs of the training video),
 * `validation` (whole photographs held out: the validation video is made from these alone) or
 * `test` (another package, never seen in training or validation: for the held-out scores).
 *
 * Install the photographs with
 *   apt-get install plasma-workspace-wallpapers mate-backgrounds lomiri-wallpapers-16.04 lomiri-wallpapers-20.04
 * (Debian 12 versions in NATURAL_PACKAGES; prepare-natural.ts refuses a file whose hash differs).
 *
 * Which photographs: of the three packages the issue names, only plasma-workspace-wallpapers holds
 * photographs (11; the rest of it, gnome-backgrounds and desktop-base are drawn or rendered
 * artwork). Debian's mate-backgrounds adds 12 nature photographs (its nature/ folder) to training
 * and validation, and lomiri-wallpapers (Ubuntu Touch's contest photographs) gives the 14 test
 * photographs; its drawn and abstract images (analogpattern, umang, Fossa, Infinite-Sea,
 * Painting-Colors) are left out. The validation photographs were drawn with
 * shuffled(list, createRng(NATURAL_SEED)): 2 of plasma's 11 (first), then 2 of mate's 12.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { decodeImage, NATURAL_IMAGE_SIDE } from '../../main/services/datasets-natural.js';
import type { RgbImage } from '../../native-models/training/natural.js';
import { DEFAULT_MODEL_CONFIG, NT } from './recipe.js';

export const NATURAL_SEED = 20261206;

export interface NaturalPackage {
  name: string;
  version: string;
  copyrightFile: string;
  licence: string;
}

export const NATURAL_PACKAGES: NaturalPackage[] = [
  {
    name: 'plasma-workspace-wallpapers',
    version: '4:5.27.5-2',
    copyrightFile: '/usr/share/doc/plasma-workspace-wallpapers/copyright',
    licence: "Debian's copyright file: GPL-2+ for the whole package (2014 KDE Visual Design Group); each wallpaper's metadata.json names its author and licence (LGPLv3 for every photograph used here)",
  },
  { name: 'mate-backgrounds', version: '1.26.0-1', copyrightFile: '/usr/share/doc/mate-backgrounds/copyright', licence: 'GPL-2+ for every nature/ photograph (authors per file in the copyright file)' },
  { name: 'lomiri-wallpapers-16.04', version: '20.04.0-2', copyrightFile: '/usr/share/doc/lomiri-wallpapers-16.04/copyright', licence: 'per file: CC-BY-4.0, CC-BY-SA-4.0 or CC0-1.0' },
  { name: 'lomiri-wallpapers-20.04', version: '20.04.0-2', copyrightFile: '/usr/share/doc/lomiri-wallpapers-20.04/copyright', licence: 'per file: CC-BY-SA-3.0' },
];

export type PhotoSplit = 'train' | 'validation' | 'test';

export interface NaturalPhoto {
  id: string;
  package: string;
  file: string;
  sha256: string;
  licence: string;
  author: string;
  split: PhotoSplit;
}

const plasma = (id: string, author: string, sha256: string, split: PhotoSplit): NaturalPhoto => ({
  id,
  package: 'plasma-workspace-wallpapers',
  file: `/usr/share/wallpapers/${id}/contents/images/2560x1600.jpg`,
  sha256,
  licence: 'LGPL-3.0 (metadata.json); package GPL-2+',
  author,
  split,
});
const mate = (id: string, author: string, sha256: string, split: PhotoSplit): NaturalPhoto => ({ id, package: 'mate-backgrounds', file: `/usr/share/backgrounds/mate/nature/${id}.jpg`, sha256, licence: 'GPL-2+', author, split });
const lomiri = (name: string, author: string, licence: string, sha256: string, pkg = 'lomiri-wallpapers-16.04'): NaturalPhoto => ({ id: name, package: pkg, file: `/usr/share/backgrounds/${name}.jpg`, sha256, licence, author, split: 'test' });

export const NATURAL_PHOTOS: NaturalPhoto[] = [
  plasma('BytheWater', 'Maciej Wiklo', 'c272434ef39f2abf1ed48a15a8910088020f3165329a5092f3940ec9464bc05f', 'train'),
  plasma('ColdRipple', 'Risto Saukonpää', '05bef6722fc0ed81292cceb3ed026c38d17e510f3c84be7d68610c2b1a723c3f', 'train'),
  plasma('ColorfulCups', 'Dmitri Popov', '6e0f3a72feb5a4a9fec191b77e34874c3c69e2d93040deb3f07773e73385023d', 'validation'),
  plasma('DarkestHour', 'Risto Saukonpää', '8e3703fae3a3c217b1fc2b399b706cd3720584268d071ba153e4809daa55f1ce', 'train'),
  plasma('EveningGlow', 'Ian Hex', '586682dcb362b9f620068f10138f87d0d3649939aef238adc5807cb951976a7a', 'train'),
  plasma('FallenLeaf', 'Martin Klapetek', '95603a6560c7e8d50e0e03b3f4adbe39c5258c72528e74e4ecaea1daf4e499de', 'validation'),
  plasma('Grey', 'Sigi Sagi', '88c31d8944b7e6935d1b9a296654c692f0772cb512491713eb30a972a604c0ed', 'train'),
  plasma('Kite', 'Risto Saukonpää', 'bdca288ce296a981e80659c021cf707caddc702c0c8d4247e60bd618476d47f8', 'train'),
  plasma('OneStandsOut', 'Risto Saukonpää', 'cb507baf1dafdcae362264f3aba9483ed4be5f6c9fdd770f0ec0920c6d9e80fd', 'train'),
  plasma('Path', 'Risto Saukonpää', '7477457d7f17b736259f1b021864778ad4ba802cf3214e6728181ff29126bba8', 'train'),
  plasma('summer_1am', 'Risto Saukonpää', 'c868b50789591dd42910153c768053f1ba0a98cb36bbfc2b7a96a1045d0477f8', 'train'),
  mate('Aqua', 'Charles Barbin', '5c30118205982da441bf7e6a1ada636a8a0be879408140b3148280c665ed6bce', 'train'),
  mate('Blinds', 'Lennart Poettering, Andrea Cimitan', 'f7aac0dcc2e06d0491643e84df3da1d9db7c4610f58806a880d56e074799f600', 'train'),
  mate('Dune', 'Marco Cogoni, Hylke Bons', '8a67c2cb0be8c46b70c237311a4fa4d2b4ac7d39568135384787801fa5cc9a91', 'train'),
  mate('FreshFlower', 'Jens Ansorg', '972b0a0c4e5e3fa93f4f244fc84bc64b121a5eac3aaa5856f1308c1f38a02f8e', 'train'),
  mate('Garden', 'Charles Barbin', 'd3095ee09d425ef23d27155412136cf14fc3c9af76ca58b452f55e23da324e78', 'train'),
  mate('GreenMeadow', 'Timothy Schellhase, Lapo Calamandrei', '8fa0de0aa4089f7319c9fb7a6d006d4cab6023e8c8853731557cff53567b4832', 'train'),
  mate('LadyBird', 'Charles Barbin', 'e35a9a4126ef969c90b29c038058c5a575a20eadd84106a37bf1fa9931e7b61d', 'train'),
  mate('RainDrops', '"blackcombwhistler07"', '3e4ea9671c28c90a86cf67b3db9daf18c4741587c596333a7529ca589aaa0c16', 'train'),
  mate('Storm', 'Sergey Nazarov', '77ca53077831d3237f73393a91fc879158abc046d852941c26e90de336356957', 'validation'),
  mate('TwoWings', 'Charles Barbin, Hylke Bons', '665e5abf8a5399070a91a9a8e455fe071e5b61697ff78fdeda4e9843ef545aeb', 'train'),
  mate('Wood', 'Jean-François Fortin Tam', '19c78500ac00a622e19907ab9cc7d06d46fe08c4a6142759a84195696150ec07', 'validation'),
  mate('YellowFlower', 'Charles Barbin', '254da96256acb7add685679775a04d1e4a5bc8cd13e5a5a3d61351ce198a5306', 'train'),
  lomiri('Bridge_by_Sander_Klootwijk', 'Sander Klootwijk', 'CC-BY-SA-4.0', 'bd86b081f9975e2b83527f71e49b9271a8ab40885428395969d9f7d834d7f050'),
  lomiri('Dragonfly_by_Bolly', '"Bolly"', 'CC-BY-SA-4.0', 'af5af17841009732def24b09bb1e669a1b09d2b4bdeee7812c371101c30d2bb3'),
  lomiri('Picture_0B_by_freespace', 'Trevor "Freespace"', 'CC-BY-4.0', 'c8c0ab18e48d9e0419fe42881112137f3afafc27dfddc29ec3a6d54c56d225ad'),
  lomiri('Picture_1A_by_freespace', 'Trevor "Freespace"', 'CC-BY-4.0', '89e86af38d04daaef975665dc2127e9fa76f0fd68f4eea105a2d0ae3390b010b'),
  lomiri('Wine_by_Jakkub_Mede', 'Jakub Mede', 'CC-BY-4.0', 'd2e96e6d4da40dd804b3d0ce295e94de04a2d7d9b6785d42cd9d92ba58bced74'),
  lomiri('aitzgorri_by_Aitzol_Berasategi', 'Aitzol Berasategi', 'CC-BY-4.0', '66268e7b48f8854d36a28765fac6e23ec1aee251daa6da1f64715f201020ad36'),
  lomiri('free_by_Peter_Nerlich', 'Peter Nerlich', 'CC-BY-SA-4.0', '85a5453c2fed514c75973016f3d862aca62eb7ca087618822469274ac1092373'),
  lomiri('friends_by_Aitzol_Berasategi', 'Aitzol Berasategi', 'CC-BY-4.0', 'cc40e313c74e421edffe3403def413c16878ce14661cce7ec5915baeab35538d'),
  lomiri('greentock_by_Peter_Nerlich', 'Peter Nerlich', 'CC-BY-SA-4.0', 'e7b20e2db9dcd6e2b278ca55873c2110b35d89cd38b04d0b18728726888e6889'),
  lomiri('life_by_Aitzol_Berasategi', 'Aitzol Berasategi', 'CC-BY-4.0', '4c119350ead80201fe256850c3d316309ddfb4bdf10b235ce982dcde0c667c05'),
  lomiri('picosdeeuropa_by_Aitzol_Berasategi', 'Aitzol Berasategi', 'CC-BY-4.0', '414d0072b2f6f2c555deafeaef6e45c4fed6fa9ad26eba6560ca8803959cf97a'),
  lomiri('seeding_by_Clements_Engelhardt', 'Clemens Engelhardt', 'CC0-1.0', 'a5634d1ab5e41a3568e92d4a894a500c92b891f9ff734e50bd224d6e185a605f'),
  lomiri('sunset_by_Aitzol_Berasategi', 'Aitzol Berasategi', 'CC-BY-4.0', '474dab6a4b9f94dc76c29dfe30e9f5db4af0fd2e33fe5d695f8152b371efca18'),
  lomiri('Kleiber_by_Lukas_Baubkus', 'Lukas Baubkus', 'CC-BY-SA-3.0', '6572410c09f4492c74ccadde133565a14c0161617d5917d4c820c66d65a44ba7', 'lomiri-wallpapers-20.04'),
];

export const photosOf = (split: PhotoSplit) => NATURAL_PHOTOS.filter((p) => p.split === split);

/** Frame size, recording length and how much of each kind of video. */
export const NATURAL_DATA = {
  height: DEFAULT_MODEL_CONFIG.height,
  width: DEFAULT_MODEL_CONFIG.width,
  channels: 3,
  framesPerRecording: 30,
  /** Photographs decoded at most this long a side before the camera moves over them. */
  imageSide: NATURAL_IMAGE_SIDE,
  /** Training: natural recordings over the train photographs, and procedural ones (grey, things bounce). */
  naturalTrainRecordings: 1600,
  proceduralTrainRecordings: 1200,
  /** Validation: recordings over the validation photographs only, and fresh procedural ones. */
  naturalValRecordings: 80,
  proceduralValRecordings: 80,
  /** Validation sequences of nt frames, evenly spaced over each kind's validation recordings. */
  naturalValSequences: 160,
  proceduralValSequences: 80,
} as const;

/** Seeds of each part of the data (none shared with recipe.ts's default-model data). */
export const NATURAL_SEEDS = {
  naturalTrain: NATURAL_SEED,
  naturalValidation: NATURAL_SEED + 1,
  proceduralTrain: NATURAL_SEED + 2,
  proceduralValidation: NATURAL_SEED + 3,
  /** Held-out scoring after training: natural video over the test photographs, fresh procedural video. */
  naturalTest: NATURAL_SEED + 4,
  proceduralTest: NATURAL_SEED + 5,
} as const;

/**
 * Held-out scoring (score-natural.ts): natural video over the test photographs (another package),
 * as trained (pans, zooms, turns, cut-outs, blur) and as pure camera pans, and fresh procedural video.
 */
export const NATURAL_TEST = { naturalRecordings: 140, naturalSequences: 280, panRecordings: 140, panSequences: 140, proceduralRecordings: 120, proceduralSequences: 120 } as const;
export { PURE_PANS } from '../../native-models/training/natural.js';

/** The three instances: the same data, their own initial weights (PredNet.create seed) and batch order (train.py --seed). */
export const NATURAL_INSTANCES = [1, 2, 3].map((instance) => ({ instance, initSeed: NATURAL_SEED + 100 + instance, trainSeed: NATURAL_SEED + 200 + instance }));

export { DEFAULT_MODEL_CONFIG as NATURAL_MODEL_CONFIG, NT };

/**
 * train.py's schedule for each instance: 50 epochs of 200 steps of batch 4 (10,000 steps), Adam
 * lr 1e-3 dropped to 1e-4 at epoch 42, validation (240 sequences) after every epoch, on one
 * thread. Measured here (2 cores shared with other work, load 2-4): 4.4 min an epoch, so about
 * 3.7 h an instance; about 3 h on a quiet machine (one-thread training alone: 23 ms a frame, 64
 * steps a minute).
 */
export const NATURAL_SCHEDULE = { epochs: 50, stepsPerEpoch: 200, dropEpoch: 42, lr: 1e-3, batchSize: 4, threads: 1 } as const;

/** The photographs of one split, decoded as the recipe decodes them; a file that differs from the recipe's is refused. */
export async function loadPhotos(split: PhotoSplit): Promise<{ photo: NaturalPhoto; image: RgbImage }[]> {
  const out: { photo: NaturalPhoto; image: RgbImage }[] = [];
  for (const photo of photosOf(split)) {
    if (!fs.existsSync(photo.file)) throw new Error(`${photo.file} is missing: install the Debian package ${photo.package} (see scripts/torch-trainer/natural-recipe.ts).`);
    const sha = crypto.createHash('sha256').update(fs.readFileSync(photo.file)).digest('hex');
    if (sha !== photo.sha256) throw new Error(`${photo.file} differs from the recipe's (SHA-256 ${sha}, recipe ${photo.sha256}): another version of ${photo.package}? The data would not be the recipe's.`);
    out.push({ photo, image: (await decodeImage(photo.file, NATURAL_DATA.imageSide)).image });
  }
  return out;
}
