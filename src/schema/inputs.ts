import { z } from 'zod';

/** The longest name, username or search string taken: gate and edge hold usernames of up to 150. */
const MAX_NAME_LENGTH = 150;

// Checked before any upstream call, so that no input is sent that no upstream could hold.
const noControlCharacters = /^[^\u0000-\u001f\u007f]*$/;

/** A name, username, organization or search string. */
export const nameInput = z
  .string()
  .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
  .regex(noControlCharacters, 'must not hold control characters');

/** A username to look up: a name that is not empty. */
export const usernameInput = nameInput.min(1, 'must not be empty');
