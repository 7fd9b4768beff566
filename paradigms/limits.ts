/** Limits on inputs that size work or storage, shared by every paradigm's schema. */

/** Trials one protocol may plan (a session at 2 s a trial is then about 5.5 hours). */
export const MAX_TRIALS = 10_000;
/** Stimulus levels (offsets, angles) one list may hold. */
export const MAX_LEVELS = 101;
/** Trials per level in the method of constant stimuli. */
export const MAX_TRIALS_PER_LEVEL = 1_000;

/** A frame interval longer than 1.5 nominal frames means refreshes were missed (PsychoPy's convention); the display and the analysis count drops alike. */
export const DROP_THRESHOLD = 1.5;
