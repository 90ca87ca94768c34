// An `eslint-disable` comment must say why after ` -- ` (ESLint's description syntax): a silenced
// rule is a decision the next reader has to be able to check.
const DIRECTIVE = /^\s*eslint-disable(?:-next-line|-line)?(?:\s|$)/;

/** @type {import('eslint').Rule.RuleModule} */
export const disableNeedsReason = {
  meta: {
    type: 'suggestion',
    docs: { description: 'eslint-disable comments carry a reason after --' },
    schema: [],
    messages: { missing: "Say why this rule is disabled here: '{{directive}} -- <reason>'." },
  },
  create(context) {
    return {
      Program() {
        for (const comment of context.sourceCode.getAllComments()) {
          if (!DIRECTIVE.test(comment.value)) continue;
          const [directive, reason] = comment.value.split(/\s--\s/, 2);
          if (!reason?.trim()) context.report({ loc: comment.loc, messageId: 'missing', data: { directive: directive.trim() } });
        }
      },
    };
  },
};
