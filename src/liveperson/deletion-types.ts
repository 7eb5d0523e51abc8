/** LivePerson's four deletion types: a create request carries exactly one of them (kept apart so the CLI's --help loads no client code). */
export const LIVEPERSON_DELETION_TYPES = ['engagement', 'conversation', 'consumer', 'ticketing'] as const;
export type LivePersonDeletionType = (typeof LIVEPERSON_DELETION_TYPES)[number];
