import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Nest turns any error a message handler throws into a generic "Internal server error". Jobs need
 * the original error (its type decides FAILED, TIMED_OUT or CANCELLED, and its message reaches the
 * client), so this filter hands it back to the transport untouched.
 */
@Catch()
export class JobErrorPassthroughFilter implements RpcExceptionFilter {
  catch(error: unknown): Observable<never> {
    return throwError(() => error);
  }
}
