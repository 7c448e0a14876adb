import { builder } from './builder.ts';
import './nodes.ts';
import './user.ts';
import './token.ts';
import './balance.ts';
import './extra.ts';
import './edge-user.ts';
import './access-token.ts';
import './login-history.ts';
import './switch-user.ts';
import './provisioning.ts';

export const schema = builder.toSchema({ sortSchema: true });
