import { GraphQLDeferDirective, GraphQLStreamDirective } from '@graphql-tools/utils';
import { specifiedDirectives } from 'graphql';
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
import './organization.ts';
import './provisioning.ts';

// `@defer` and `@stream` are part of the published schema, so that clients' tooling (codegen,
// GraphiQL) knows them; the gateway answers them in parts (see `useIncrementalDelivery`).
export const schema = builder.toSchema({ sortSchema: true, directives: [...specifiedDirectives, GraphQLDeferDirective, GraphQLStreamDirective] });
