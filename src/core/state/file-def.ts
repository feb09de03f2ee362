// The shape of a state file definition, in its own module so that an adapter's own book (the sim
// broker's) can declare one without importing the list of every state file.
import type { z } from 'zod';

/** One state file kobe knows: its name under state/, schema and value when absent. */
export interface StateFileDef<T, I = T> {
  name: string;
  /** I: what a writer may pass (fields with defaults may be left out); T: what a reader gets. */
  schema: z.ZodType<T, z.ZodTypeDef, I>;
  initial: () => T;
}
