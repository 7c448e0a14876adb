// The onboarding CLI's parts on their own: how a people file is read and its rows checked. (Its
// client of the gateway, the report's too, is tested in gateway-client.test.ts.)
import { describe, expect, it } from 'vitest';
import { columnsOf, provisionUserInputType } from '../src/cli/onboard/columns.ts';
import { PeopleFileError, readPeopleFile } from '../src/cli/onboard/people-file.ts';
import { checkRows } from '../src/cli/onboard/rows.ts';

describe('a people file', () => {
  const type = provisionUserInputType();
  const columns = columnsOf(type);

  it('has the fields of ProvisionUserInput as columns, nested ones by their path, without those the CLI sets', () => {
    expect(columns.map((column) => column.name)).toEqual(expect.arrayContaining(['username', 'email', 'password', 'edge', 'edge.memberships', 'edge.accessTokenTitle', 'initialBalanceSeconds']));
    expect(columns.map((column) => column.name)).not.toContain('idempotencyKey');
    expect(columns.map((column) => column.name)).not.toContain('newOrganization');
  });

  it('names rows by the line they start on, CRLF and cells over several lines alike', () => {
    const text = 'username,email,organization,lastName\r\n\r\nada.l,ada@acme.test,acme,"Love\r\nlace"\r\nbob.x,bob@acme.test,acme,X\r\nshort,row\r\n';
    const file = readPeopleFile(text, columns);
    expect(file.rows.map((row) => [row.line, row.cells.get('username')])).toEqual([
      [3, 'ada.l'],
      [5, 'bob.x'],
    ]);
    expect(file.problems).toEqual([{ line: 6, message: 'has 2 cells where the header has 4' }]);
  });

  it('refuses a header with an unknown or repeated column, or without a column every row needs', () => {
    const misspelt = () => readPeopleFile('username,emial,organization\nada,a@b.c,acme\n', columns);
    expect(misspelt).toThrow(PeopleFileError);
    expect(misspelt).toThrow(/^line 1: unknown column "emial"; no column "email", which every row needs\. The columns are the fields of ProvisionUserInput: /);
    expect(() => readPeopleFile('username,email,email,organization\n', columns)).toThrow(/column "email" is given twice/);
  });

  it('checks rows by the gateway`s rules, GraphQL`s Int among them, and decodes lists and JSON', () => {
    const text = [
      'username,email,organization,initialBalanceSeconds,isActive,preferences,edge.memberships,firstName,lastName',
      'ada.l,ada@acme.test,acme,3600,true,"{""theme"":""dark""}",WHITE | GREEN,Ada,Lovelace',
      'big.one,big@acme.test,acme,3000000000,maybe,[1],,,',
    ].join('\n');
    const checked = checkRows(readPeopleFile(text, columns).rows, columns, type, false);
    expect(checked.valid.map((row) => row.input)).toEqual([
      expect.objectContaining({
        username: 'ada.l',
        initialBalanceSeconds: 3600,
        isActive: true,
        preferences: { theme: 'dark' },
        edge: { memberships: ['WHITE', 'GREEN'] },
        idempotencyKey: expect.stringMatching(/^onboard-[0-9a-f]{64}$/),
      }),
    ]);
    expect(checked.invalid).toEqual([
      {
        line: 3,
        username: 'big.one',
        problems: [
          { line: 3, column: 'isActive', message: 'must be true or false' },
          { line: 3, column: 'initialBalanceSeconds', message: 'Int cannot represent non 32-bit signed integer value: 3000000000' },
        ],
      },
    ]);
  });

  it('derives the idempotency key from what the row asks for, never from its password', () => {
    const header = 'username,email,organization,password';
    const keyOf = (row: string) => checkRows(readPeopleFile(`${header}\n${row}\n`, columns).rows, columns, type, false).valid[0]?.input.idempotencyKey;
    expect(keyOf('ada.l,ada@acme.test,acme,first-password')).toBe(keyOf('ada.l,ada@acme.test,acme,other-password'));
    expect(keyOf('ada.l,ada@acme.test,acme,first-password')).not.toBe(keyOf('ada.l,ada.l@acme.test,acme,first-password'));
  });
});
