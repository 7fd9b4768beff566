/** People are shown by label alone; models and simulated observers say what they are. */
export const kindNote = (kind: string): string => (kind === 'human' ? '' : ` (${kind})`);
