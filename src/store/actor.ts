/** Who is acting when no one is named: the OS user. (Internal: the CLI's --actor default too.) */
export const osUser = () => process.env.USER || process.env.LOGNAME || 'unknown';
